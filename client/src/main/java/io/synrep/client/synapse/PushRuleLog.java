package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replays a user's {@code push_rules_stream} entries (in {@code stream_id} order) into their current rules:
 * {@code ADD} defines or redefines a rule, {@code DELETE} removes it and its enabled flag, {@code ENABLE} and
 * {@code DISABLE} set the flag (also for server-default rules the log never defines), {@code ACTIONS} replaces
 * a defined rule's actions. Unknown operations are ignored. Not thread-safe: one instance per load.
 */
final class PushRuleLog {
    private record Definition(Integer priorityClass, Integer priority, JsonNode conditions, JsonNode actions) {}

    private final Map<String, Definition> rules = new HashMap<>();
    private final Map<String, Boolean> enabled = new TreeMap<>();

    /** One row of the log. */
    record Entry(String ruleId, String op, Integer priorityClass, Integer priority, JsonNode conditions,
                 JsonNode actions) {}

    static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(rs.getString("rule_id"), rs.getString("op"), Columns.intOrNull(rs, "priority_class"),
                Columns.intOrNull(rs, "priority"), Columns.json(rs.getString("conditions")),
                Columns.json(rs.getString("actions")));
    }

    void apply(Entry e) {
        String ruleId = e.ruleId();
        if (ruleId == null || e.op() == null) {
            return;
        }
        JsonNode actions = e.actions();
        switch (e.op()) {
            case "ADD" -> rules.put(ruleId, new Definition(e.priorityClass(), e.priority(), e.conditions(), actions));
            case "DELETE" -> {
                rules.remove(ruleId);
                enabled.remove(ruleId);
            }
            case "ENABLE" -> enabled.put(ruleId, true);
            case "DISABLE" -> enabled.put(ruleId, false);
            case "ACTIONS" -> rules.computeIfPresent(ruleId,
                    (id, d) -> new Definition(d.priorityClass(), d.priority(), d.conditions(), actions));
            default -> { }
        }
    }

    PushStore.PushRules result() {
        List<PushStore.PushRule> out = new ArrayList<>();
        rules.forEach((id, d) -> out.add(new PushStore.PushRule(id, d.priorityClass(), d.priority(), d.conditions(),
                d.actions(), enabled.getOrDefault(id, true))));
        Comparator<Integer> high = Comparator.nullsLast(Comparator.<Integer>reverseOrder());
        out.sort(Comparator.comparing(PushStore.PushRule::priorityClass, high)
                .thenComparing(PushStore.PushRule::priority, high)
                .thenComparing(PushStore.PushRule::ruleId));
        return new PushStore.PushRules(List.copyOf(out), Collections.unmodifiableMap(new TreeMap<>(enabled)));
    }
}

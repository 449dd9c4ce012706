package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Push rules and pushers, cached: what a pusher worker reads.
 *
 * <p>Invalidation:
 * <ul>
 *   <li>{@code push_rules} rows → {@code get_push_rules_for_user} (key: {@code user_id});</li>
 *   <li>{@code pushers} rows → {@code get_pushers_by_user_id} (key: {@code user_name} in the seed schema,
 *       {@code user_id} in current Synapse) and {@code get_all_pushers} (key: {@code []});</li>
 *   <li>{@code deleted_pushers} rows (seed) → the same two, by {@code user_id}: a pusher's deletion is streamed
 *       through the {@code deleted_pushers} row the writer inserts with it, the delete itself produces no row. In
 *       current Synapse that row comes on the {@code pushers} stream ({@code deleted = true}).</li>
 * </ul>
 * Where a user's rules come from: the seed schema has no current-rules table, only the {@code push_rules_stream}
 * log, so they are that log replayed in {@code stream_id} order (see {@link PushRuleLog}); current Synapse keeps
 * them in {@code push_rules} and their enabled flags in {@code push_rules_enable} (its {@code push_rules_stream} is
 * only the change log, whose rows are the signal), read in one statement. Reads fail with a
 * {@link StoreException} while the relay does not serve the streams that invalidate them. Thread-safe; returned
 * {@link JsonNode}s are shared: do not modify them.
 */
public final class PushStore {
    /** A push rule as it stands after the user's whole log. {@code enabled} is true unless last disabled. */
    public record PushRule(String ruleId, Integer priorityClass, Integer priority, JsonNode conditions,
                           JsonNode actions, boolean enabled) {}

    /**
     * A user's push rules, highest priority class first, then highest priority, then rule id; and every rule's
     * explicit enabled flag, including rules defined by the server rather than the user (e.g. {@code .m.rule.master}).
     */
    public record PushRules(List<PushRule> rules, java.util.Map<String, Boolean> enabled) {}

    /** A pusher: where to send a user's notifications. {@code data} is its JSON (e.g. the push gateway URL). */
    public record Pusher(long id, String userName, String kind, String appId, String appDisplayName,
                         String deviceDisplayName, String pushkey, long ts, String lang, JsonNode data) {}

    private static final String RULES_SEED = "SELECT rule_id, op, priority_class, priority, conditions, actions"
            + " FROM push_rules_stream WHERE user_id = ? ORDER BY stream_id";
    // definitions first, then flags: replayed as ADDs then ENABLE/DISABLE; one statement, so one snapshot. A null
    // flag is off, as Synapse reads it.
    private static final String RULES_CURRENT = "SELECT rule_id, 'ADD' AS op, priority_class, priority, conditions,"
            + " actions, 0 AS part FROM push_rules WHERE user_name = ?"
            + " UNION ALL SELECT rule_id, CASE WHEN enabled = 1 THEN 'ENABLE' ELSE 'DISABLE' END, NULL, NULL, NULL,"
            + " NULL, 1 FROM push_rules_enable WHERE user_name = ? ORDER BY part, rule_id";
    private static final String PUSHERS = "SELECT id, user_name, kind, app_id, app_display_name,"
            + " device_display_name, pushkey, ts, lang, data FROM pushers";
    private static final List<String> ALL = List.of();

    private final ConnectionPool db;
    private final MissingStreams missing;
    private final boolean seed;
    private final List<String> pusherStreams;
    private final ReaderCache<String, PushRules> rules;
    private final ReaderCache<String, List<Pusher>> byUser;
    private final ReaderCache<List<String>, List<Pusher>> all;

    PushStore(ConnectionPool db, CacheRegistry registry, long cacheSize, SynapseSchema schema,
              MissingStreams missing) {
        this.db = db;
        this.missing = missing;
        this.seed = schema == SynapseSchema.SEED;
        this.pusherStreams = seed ? List.of("pushers", "deleted_pushers") : List.of("pushers");
        this.rules = registry.register(new ReaderCache<>("get_push_rules_for_user", cacheSize));
        this.byUser = registry.register(new ReaderCache<>("get_pushers_by_user_id", cacheSize));
        this.all = registry.register(new ReaderCache<>("get_all_pushers", 1));
    }

    /**
     * The user's current push rules: their whole {@code push_rules_stream} log replayed (seed), or their
     * {@code push_rules} with {@code push_rules_enable}'s flags (current).
     */
    public PushRules pushRules(String userId) {
        missing.require("push rules", List.of("push_rules"));
        return rules.get(userId, u -> {
            PushRuleLog log = new PushRuleLog();
            List<PushRuleLog.Entry> entries = seed ? db.list(RULES_SEED, PushRuleLog::entry, u)
                    : db.list(RULES_CURRENT, PushRuleLog::entry, u, u);
            for (PushRuleLog.Entry e : entries) {
                log.apply(e);
            }
            return log.result();
        });
    }

    /** The user's pushers, ordered by app id, then push key. */
    public List<Pusher> pushers(String userId) {
        missing.require("pushers", pusherStreams);
        return byUser.get(userId, u -> db.list(PUSHERS + " WHERE user_name = ? ORDER BY app_id, pushkey",
                PushStore::pusher, u));
    }

    /** Every pusher, ordered by user, app id, push key: what a pusher worker loads when it starts. */
    public List<Pusher> allPushers() {
        missing.require("pushers", pusherStreams);
        return all.get(ALL, k -> db.list(PUSHERS + " ORDER BY user_name, app_id, pushkey", PushStore::pusher));
    }

    void onPushRule(Row row) {
        Invalidate.key(rules, row.text("user_id"));
    }

    /** A {@code pushers} row of either schema: the user is {@code user_name} (seed) or {@code user_id} (current). */
    void onPusher(Row row) {
        String user = row.text("user_name");
        Invalidate.key(byUser, user != null ? user : row.text("user_id"));
        all.invalidate(ALL);
    }

    void onDeletedPusher(Row row) {
        Invalidate.key(byUser, row.text("user_id"));
        all.invalidate(ALL);
    }

    private static Pusher pusher(ResultSet rs) throws SQLException {
        return new Pusher(rs.getLong("id"), rs.getString("user_name"), rs.getString("kind"), rs.getString("app_id"),
                rs.getString("app_display_name"), rs.getString("device_display_name"), rs.getString("pushkey"),
                rs.getLong("ts"), rs.getString("lang"), Columns.json(rs.getString("data")));
    }
}

package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * The content a redacted event keeps: the keys the Matrix redaction algorithm (room version 11) preserves for its
 * type, nothing for other types.
 *
 * <p>Why the reader prunes instead of trusting {@code event_json}: the writer later "censors" a redacted event by
 * rewriting its JSON, and that rewrite produces no stream row. Serving the pruned content from the moment the
 * redaction is processed makes the answer the same before and after censoring, so no cache goes stale unnoticed.
 */
final class Redaction {
    private static final Map<String, Set<String>> KEPT = Map.of(
            "m.room.member", Set.of("membership", "join_authorised_via_users_server", "third_party_invite"),
            "m.room.join_rules", Set.of("join_rule", "allow"),
            "m.room.power_levels", Set.of("ban", "events", "events_default", "invite", "kick", "redact",
                    "state_default", "users", "users_default"),
            "m.room.history_visibility", Set.of("history_visibility"),
            "m.room.redaction", Set.of("redacts"));

    private Redaction() {}

    /** The pruned copy of {@code content} for an event of {@code type}; {@code content} is not modified. */
    static JsonNode prune(String type, JsonNode content) {
        ObjectNode kept = JsonNodeFactory.instance.objectNode();
        if (content == null || !content.isObject()) {
            return kept;
        }
        if ("m.room.create".equals(type)) {
            return content.deepCopy();
        }
        Set<String> keys = KEPT.getOrDefault(type, Set.of());
        for (String key : keys) {
            if (content.has(key)) {
                kept.set(key, content.get(key).deepCopy());
            }
        }
        JsonNode invite = kept.get("third_party_invite");
        if (invite != null) {
            // of a third-party invite only its signature survives
            ObjectNode signed = JsonNodeFactory.instance.objectNode();
            if (invite.has("signed")) {
                signed.set("signed", invite.get("signed"));
            }
            kept.set("third_party_invite", signed);
        }
        return kept;
    }
}

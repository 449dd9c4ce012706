package io.synrep.capture;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the relay must remember across restarts, saved as one unit so that its parts never disagree.
 *
 * @param systemId the writer's database system identifier the state belongs to
 * @param slot     the replication slot the state belongs to
 * @param epoch    the WAL history readers were told ({@code Synrep-Epoch})
 * @param horizon  tokens at or above this position are served after a restart: every row at or below the
 *                 confirmed position was evicted at or below it
 * @param offsets  Debezium's offsets (JSON key to JSON value, as its offset store holds them); the position they
 *                 name is where capture resumes and what the slot was confirmed up to
 */
public record RelayState(String systemId, String slot, String epoch, long horizon, Map<String, String> offsets) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public RelayState {
        offsets = Map.copyOf(offsets);
    }

    /** The same state with new offsets and horizon. */
    RelayState with(long newHorizon, Map<String, String> newOffsets) {
        return new RelayState(systemId, slot, epoch, newHorizon, newOffsets);
    }

    /**
     * The position capture resumes after: the largest {@code lsn} among the offsets, or {@code -1} when there are
     * no offsets yet (capture then starts from the slot's confirmed position).
     */
    public long resumePosition() {
        long max = -1;
        for (String value : offsets.values()) {
            try {
                JsonNode lsn = JSON.readTree(value).get("lsn");
                if (lsn != null && lsn.canConvertToLong()) {
                    max = Math.max(max, lsn.asLong());
                }
            } catch (IOException e) {
                throw new IllegalStateException("saved offset is not JSON: " + value, e);
            }
        }
        return max;
    }

    byte[] toJson() {
        Map<String, Object> m = new TreeMap<>();
        m.put("system_id", systemId);
        m.put("slot", slot);
        m.put("epoch", epoch);
        m.put("horizon", horizon);
        m.put("offsets", new TreeMap<>(offsets));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static RelayState fromJson(byte[] json) throws IOException {
        JsonNode n = JSON.readTree(json);
        if (n == null || !n.isObject() || !n.hasNonNull("system_id") || !n.hasNonNull("slot")
                || !n.hasNonNull("epoch") || !n.hasNonNull("horizon")) {
            throw new IOException("missing system_id, slot, epoch or horizon");
        }
        Map<String, String> offsets = n.has("offsets")
                ? JSON.convertValue(n.get("offsets"), new TypeReference<Map<String, String>>() {})
                : Map.of();
        return new RelayState(n.get("system_id").asText(), n.get("slot").asText(), n.get("epoch").asText(),
                n.get("horizon").asLong(), offsets);
    }
}

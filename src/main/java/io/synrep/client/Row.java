package io.synrep.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One stream row as the relay sent it: its stream, its position (the commit LSN of the transaction that produced
 * it) and its values in {@code fieldNames} order (column 0 is the position again).
 */
public record Row(String stream, long position, List<String> fieldNames, JsonNode values) {
    /** The value of {@code field}, or a missing node when the stream has no such field. */
    public JsonNode get(String field) {
        int i = fieldNames.indexOf(field);
        return i < 0 ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : values.path(i);
    }

    /** The text of {@code field}, or null when it is null or absent. */
    public String text(String field) {
        JsonNode n = get(field);
        return n.isNull() || n.isMissingNode() ? null : n.asText();
    }

    @Override
    public String toString() {
        return stream + "@" + position + values;
    }
}

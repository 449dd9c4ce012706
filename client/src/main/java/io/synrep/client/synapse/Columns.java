package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Reading Synapse's column conventions: JSON kept as text, nullable numbers and flags. */
final class Columns {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Columns() {}

    /**
     * A JSON text column as a tree; null as a JSON null. Text that is not JSON is kept as a string rather than
     * failing the whole read: one damaged row must not make a user's data unreadable.
     */
    static JsonNode json(String text) {
        if (text == null) {
            return NullNode.getInstance();
        }
        try {
            JsonNode n = JSON.readTree(text);
            return n == null ? TextNode.valueOf(text) : n;
        } catch (IOException e) {
            return TextNode.valueOf(text);
        }
    }

    static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static Integer intOrNull(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    static Boolean boolOrNull(ResultSet rs, String column) throws SQLException {
        boolean v = rs.getBoolean(column);
        return rs.wasNull() ? null : v;
    }
}

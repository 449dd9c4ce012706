package io.synrep.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Between the poll answer's JSON and {@link Row}'s plain Java values (see there for the mapping), so that Jackson
 * stays out of the library's public API.
 */
final class RowJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RowJson() {}

    /** The Java value of {@code node}; null for a JSON null or a missing node. */
    static Object toJava(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            return values(node);
        }
        if (node.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                m.put(e.getKey(), toJava(e.getValue()));
            }
            return Collections.unmodifiableMap(m);
        }
        return node.asText(); // binary or POJO nodes: never parsed from text
    }

    /** The elements of the JSON array {@code array} as Java values (nulls kept), unmodifiable. */
    static List<Object> values(JsonNode array) {
        List<Object> out = new ArrayList<>(array.size());
        for (JsonNode n : array) {
            out.add(toJava(n));
        }
        return Collections.unmodifiableList(out);
    }

    /** The compact JSON text of a Java value of a row. */
    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a row value as JSON: " + e.getMessage(), e);
        }
    }
}

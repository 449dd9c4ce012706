package io.synrep.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One stream row as the relay sent it: its stream, its position (the commit LSN of the transaction that produced
 * it) and its values in {@code fieldNames} order (column 0 is the position again).
 *
 * <p>Values are plain Java values, as the row's JSON holds them: {@code null}, {@link String}, {@link Boolean},
 * {@link Long} for integers ({@link java.math.BigInteger} beyond a long), {@link Double} for other numbers, an
 * unmodifiable {@code List<Object>} for an array and an unmodifiable {@code Map<String, Object>} (in the JSON's key
 * order) for an object. A JSON column a writer keeps as text (Synapse's {@code content}, {@code data}) arrives as a
 * {@code String}: parsing it is the handler's business. Immutable and thread-safe when its values are (those the
 * client builds are).
 */
public record Row(String stream, long position, List<String> fieldNames, List<Object> values) {
    /** Copies both lists; {@code values} may hold nulls. */
    public Row {
        fieldNames = List.copyOf(fieldNames);
        values = Collections.unmodifiableList(new ArrayList<>(values));
    }

    /** Whether the stream has a field named {@code field} (whatever its value, null included). */
    public boolean has(String field) {
        return fieldNames.indexOf(field) >= 0;
    }

    /** The value of {@code field}, or null when it is null or the stream has no such field. */
    public Object get(String field) {
        int i = fieldNames.indexOf(field);
        return i < 0 || i >= values.size() ? null : values.get(i);
    }

    /**
     * The text of {@code field}, or null when it is null or absent: a string as it is, a number or a boolean as
     * its JSON text ({@code 12}, {@code true}), an array or object as its JSON text.
     */
    public String text(String field) {
        Object v = get(field);
        if (v == null) {
            return null;
        }
        return v instanceof List<?> || v instanceof Map<?, ?> ? RowJson.write(v) : v.toString();
    }

    /** {@code stream@position[values as JSON]}, for messages. */
    @Override
    public String toString() {
        return stream + "@" + position + RowJson.write(values);
    }
}

package io.synrep.streams;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Recognises the placeholder Debezium puts in an UPDATE's new row for a large (TOASTed) column that the UPDATE left
 * unchanged and that the WAL therefore does not carry (the table's replica identity is not {@code FULL}). Its
 * forms follow the column type: the text {@code __debezium_unavailable_value}, those bytes (bytea), a
 * one-element list of either (text and bytea arrays), lists of the bytes as numbers (integer arrays), and a UUID
 * derived from the bytes.
 *
 * <p>Only ever applied to UPDATE rows, where the placeholder can occur; a text value that happens to equal the
 * placeholder there is treated the same way. Stateless and thread-safe.
 */
public final class UnavailableValue {
    /** Debezium's default {@code unavailable.value.placeholder}, which capture keeps. */
    public static final String PLACEHOLDER = "__debezium_unavailable_value";
    private static final byte[] BYTES = PLACEHOLDER.getBytes(StandardCharsets.UTF_8);
    private static final String BASE64 = Base64.getEncoder().encodeToString(BYTES);
    private static final String UUID_FORM = UUID.nameUUIDFromBytes(BYTES).toString();

    private UnavailableValue() {}

    /** Whether {@code value}, taken from an UPDATE's new row, is Debezium's placeholder rather than data. */
    public static boolean is(Object value) {
        if (value instanceof String s) {
            return s.length() >= 28 && (s.equals(PLACEHOLDER) || s.equals(BASE64) || s.equals(UUID_FORM));
        }
        if (value instanceof byte[] b) {
            return Arrays.equals(b, BYTES);
        }
        if (value instanceof java.nio.ByteBuffer bb) {
            return bb.remaining() == BYTES.length && bb.duplicate().equals(java.nio.ByteBuffer.wrap(BYTES));
        }
        if (value instanceof List<?> list) {
            if (list.size() == 1) {
                return is(list.get(0));
            }
            if (list.size() == BYTES.length) {
                for (int i = 0; i < BYTES.length; i++) {
                    if (!(list.get(i) instanceof Number n) || n.longValue() != BYTES[i]) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }
}

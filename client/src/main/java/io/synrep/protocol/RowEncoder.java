package io.synrep.protocol;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;

/**
 * Encodes row values to compact JSON once, at capture time, so that responses only copy bytes.
 *
 * <p>A row's <em>tail</em> is the JSON of its fields after the position column, each preceded by a comma
 * ({@code ,17,"$abc",null}); the full row is {@code [position + tail + ]}. Values: {@code null}, strings,
 * numbers (integers exact; {@link BigDecimal} as written), booleans, {@link RawJson} embedded verbatim, byte
 * arrays as base64 strings, collections as arrays, maps as objects; anything else as its {@code toString()}.
 *
 * <p>Not thread-safe: keeps a reusable buffer. Use one instance per thread.
 */
public final class RowEncoder {
    private byte[] buf = new byte[512];
    private int len;

    /** Encodes the tail of a row whose field values are {@code values}. */
    public byte[] encodeTail(Object[] values) {
        len = 0;
        for (Object v : values) {
            put((byte) ',');
            value(v);
        }
        return Arrays.copyOf(buf, len);
    }

    /** Encodes one value as JSON. */
    public byte[] encodeValue(Object v) {
        len = 0;
        value(v);
        return Arrays.copyOf(buf, len);
    }

    /**
     * The tail of a row from its fields encoded one by one ({@link #encodeValue}); a null field is JSON
     * {@code null}. For rows whose fields are filled in separately (joins).
     */
    public static byte[] joinTail(byte[][] fields) {
        int size = 0;
        for (byte[] f : fields) {
            size += 1 + (f == null ? NULL.length : f.length);
        }
        byte[] tail = new byte[size];
        int at = 0;
        for (byte[] f : fields) {
            tail[at++] = ',';
            byte[] v = f == null ? NULL : f;
            System.arraycopy(v, 0, tail, at, v.length);
            at += v.length;
        }
        return tail;
    }

    /** Whether {@code encoded} is the encoding of a null value. */
    public static boolean isNull(byte[] encoded) {
        return Arrays.equals(encoded, NULL);
    }

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};

    private void value(Object v) {
        if (v == null) {
            ascii("null");
        } else if (v instanceof String s) {
            string(s);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            ascii(v.toString());
        } else if (v instanceof Boolean b) {
            ascii(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                string(v.toString());
            } else {
                ascii(v.toString());
            }
        } else if (v instanceof BigDecimal d) {
            ascii(d.toString());
        } else if (v instanceof java.math.BigInteger i) {
            ascii(i.toString());
        } else if (v instanceof RawJson j) {
            utf8(j.json());
        } else if (v instanceof byte[] bytes) {
            string(Base64.getEncoder().encodeToString(bytes));
        } else if (v instanceof ByteBuffer bb) {
            ByteBuffer copy = bb.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            string(Base64.getEncoder().encodeToString(bytes));
        } else if (v instanceof Collection<?> c) {
            put((byte) '[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    put((byte) ',');
                }
                first = false;
                value(o);
            }
            put((byte) ']');
        } else if (v instanceof Map<?, ?> m) {
            put((byte) '{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    put((byte) ',');
                }
                first = false;
                string(String.valueOf(e.getKey()));
                put((byte) ':');
                value(e.getValue());
            }
            put((byte) '}');
        } else {
            string(v.toString());
        }
    }

    private void string(String s) {
        put((byte) '"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                put((byte) c);
            } else if (c == '"' || c == '\\') {
                put((byte) '\\');
                put((byte) c);
            } else if (c < 0x20) {
                switch (c) {
                    case '\n' -> { put((byte) '\\'); put((byte) 'n'); }
                    case '\r' -> { put((byte) '\\'); put((byte) 'r'); }
                    case '\t' -> { put((byte) '\\'); put((byte) 't'); }
                    default -> ascii(String.format("\\u%04x", (int) c));
                }
            } else {
                // non-ASCII: encode the code point (or lone surrogate) as UTF-8 via the JDK
                int end = i + 1;
                if (Character.isHighSurrogate(c) && end < n && Character.isLowSurrogate(s.charAt(end))) {
                    end++;
                }
                String piece = s.substring(i, end);
                if (Character.isSurrogate(c) && piece.length() == 1) {
                    ascii(String.format("\\u%04x", (int) c));
                } else {
                    utf8(piece);
                }
                i = end - 1;
            }
        }
        put((byte) '"');
    }

    private void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    private void utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void put(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }
}

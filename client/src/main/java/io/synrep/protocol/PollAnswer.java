package io.synrep.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The body of a successful poll, and the pieces a server writes it from:
 *
 * <pre>
 * {"STREAM":{"position":P,"field_names":["position",F1,...],"rows":[[POS,V1,...],...]},...
 *  ,"streams":{"position":HEAD,"field_names":["name","position"],"rows":[["STREAM",HEAD],...]}}
 * </pre>
 *
 * Streams appear in the order the request named them; {@code position} is where the reader resumes that stream;
 * a row is its position followed by its pre-encoded tail ({@link RowEncoder#encodeTail}). The meta stream
 * ({@link Endpoint#META_STREAM}) comes last, only when asked for. A body is the concatenation
 * {@link #open()}, for each stream {@link #streamStart} + its {@link #fieldNames} + {@link #rowsStart()} +
 * rows ({@link #writeRow}) + {@link #streamEnd()}, then the meta stream ({@link #member} + {@link #metaStream}) when asked, then {@link #close()}.
 * Stateless and thread-safe.
 */
public final class PollAnswer {
    public static final String POSITION = "position";
    public static final String FIELD_NAMES = "field_names";
    public static final String ROWS = "rows";
    /** The meta stream's fields. */
    public static final List<String> META_FIELDS = List.of("name", POSITION);

    private PollAnswer() {}

    /** {@code &#123;}: the body's start. */
    public static byte[] open() {
        return new byte[] {'{'};
    }

    /** {@code &#125;}: the body's end. */
    public static byte[] close() {
        return new byte[] {'}'};
    }

    /** {@code ,"rows":[}: after a stream's field names, before its first row. */
    public static byte[] rowsStart() {
        return ascii(",\"" + ROWS + "\":[");
    }

    /** {@code ]&#125;}: after a stream's last row. */
    public static byte[] streamEnd() {
        return new byte[] {']', '}'};
    }

    /** {@code "KEY":}, preceded by a comma unless it is the body's first member. */
    public static byte[] member(boolean first, String key) {
        return ascii((first ? "" : ",") + '"' + key + "\":");
    }

    /** {@code "STREAM":{"position":P,"field_names":}, preceded by a comma unless it is the body's first member. */
    public static byte[] streamStart(boolean first, String stream, long position) {
        return ascii((first ? "" : ",") + '"' + stream + "\":{\"" + POSITION + "\":" + position + ",\""
                + FIELD_NAMES + "\":");
    }

    /** The JSON array of a stream's field names: {@code position}, then {@code fields}. Encode once per stream. */
    public static byte[] fieldNames(List<String> fields) {
        List<String> all = new ArrayList<>(fields.size() + 1);
        all.add(POSITION);
        all.addAll(fields);
        return new RowEncoder().encodeValue(all);
    }

    /** A row's position column. Rows of one transaction share it: callers may encode it once per run. */
    public static byte[] position(long position) {
        return Long.toString(position).getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code [POS TAIL]}, preceded by a comma unless it is the first row of its stream. */
    public static void writeRow(ByteArrayOutputStream out, boolean first, byte[] position, byte[] tail) {
        if (!first) {
            out.write(',');
        }
        out.write('[');
        out.write(position, 0, position.length);
        out.write(tail, 0, tail.length);
        out.write(']');
    }

    /** The meta stream's value (its key is {@link Endpoint#META_STREAM}): every stream's row at {@code head}. */
    public static byte[] metaStream(long head, Collection<String> streams) {
        StringBuilder sb = new StringBuilder("{\"").append(POSITION).append("\":").append(head).append(",\"").append(FIELD_NAMES)
                .append("\":[\"").append(META_FIELDS.get(0)).append("\",\"").append(META_FIELDS.get(1))
                .append("\"],\"").append(ROWS).append("\":[");
        boolean firstRow = true;
        for (String s : streams) {
            sb.append(firstRow ? "" : ",").append("[\"").append(s).append("\",").append(head).append(']');
            firstRow = false;
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

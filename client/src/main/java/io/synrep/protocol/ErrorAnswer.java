package io.synrep.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;

/**
 * The body of every error answer: {@code {"errcode": CODE, "error": MESSAGE}}, plus {@code "earliest": POSITION}
 * on a 410 ({@link ErrorCode#M_POSITION_TOO_OLD}): where the reader continues after dropping its caches.
 * Stateless and thread-safe.
 */
public final class ErrorAnswer {
    public static final String ERRCODE = "errcode";
    public static final String ERROR = "error";
    public static final String EARLIEST = "earliest";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNKNOWN_STREAM = "unknown stream '";

    private ErrorAnswer() {}

    /** The JSON text of an error answer; {@code earliest} may be null (left out). */
    public static String json(String errcode, String message, Long earliest) {
        ObjectNode body = JSON.createObjectNode();
        body.put(ERRCODE, errcode);
        body.put(ERROR, message);
        if (earliest != null) {
            body.put(EARLIEST, earliest);
        }
        return body.toString();
    }

    /** As {@link #json(String, String, Long)} without {@code earliest}. */
    public static String json(ErrorCode code, String message) {
        return json(code.name(), message, null);
    }

    /**
     * The {@link ErrorCode#M_INVALID_PARAM} message for a poll naming a stream the relay does not serve; a reader
     * recognises it with {@link #unknownStreamIn}.
     */
    public static String unknownStream(String stream, Collection<String> known) {
        return UNKNOWN_STREAM + Position.abbreviate(stream) + "'; known streams: " + known;
    }

    /** The stream an error answer names as not served, or null when it is another refusal. */
    public static String unknownStreamIn(String errcode, String error) {
        if (!ErrorCode.M_INVALID_PARAM.is(errcode) || error == null || !error.startsWith(UNKNOWN_STREAM)) {
            return null;
        }
        int end = error.indexOf('\'', UNKNOWN_STREAM.length());
        return end < 0 ? null : error.substring(UNKNOWN_STREAM.length(), end);
    }
}

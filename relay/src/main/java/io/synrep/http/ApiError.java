package io.synrep.http;

import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.ErrorCode;

/** A request that gets a JSON error ({@link ErrorAnswer}) instead of rows. */
final class ApiError extends RuntimeException {
    final int status;
    final ErrorCode code;
    final Long earliest;

    /** With the code's usual status. */
    ApiError(ErrorCode code, String message) {
        this(code.status(), code, message, null);
    }

    /** With the code's usual status and where the reader continues (a 410). */
    ApiError(ErrorCode code, String message, Long earliest) {
        this(code.status(), code, message, earliest);
    }

    ApiError(int status, ErrorCode code, String message) {
        this(status, code, message, null);
    }

    ApiError(int status, ErrorCode code, String message, Long earliest) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.earliest = earliest;
    }

    static ApiError invalid(String message) {
        return new ApiError(ErrorCode.M_INVALID_PARAM, message);
    }

    /** The answer's body. */
    String json() {
        return ErrorAnswer.json(code.name(), getMessage(), earliest);
    }
}

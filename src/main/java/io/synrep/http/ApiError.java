package io.synrep.http;

/** A request that gets a JSON error instead of rows. */
final class ApiError extends RuntimeException {
    final int status;
    final String errcode;
    final Long earliest;

    ApiError(int status, String errcode, String message) {
        this(status, errcode, message, null);
    }

    ApiError(int status, String errcode, String message, Long earliest) {
        super(message, null, false, false);
        this.status = status;
        this.errcode = errcode;
        this.earliest = earliest;
    }

    static ApiError invalid(String message) {
        return new ApiError(400, "M_INVALID_PARAM", message);
    }
}

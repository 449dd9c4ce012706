package io.synrep.protocol;

/**
 * The {@code errcode} of an error answer ({@link ErrorAnswer}) and the HTTP status it comes with. A code listed with
 * one status may also come with a related one where noted.
 */
public enum ErrorCode {
    /** 400: a malformed or unknown parameter, e.g. a stream the relay does not serve ({@link ErrorAnswer#unknownStream}). */
    M_INVALID_PARAM(400),
    /** 400: a token beyond anything the relay's writer has written (a restored or different database): resync. */
    M_POSITION_AHEAD(400),
    /** 401: no usable {@code Authorization: Bearer} header. */
    M_MISSING_TOKEN(401),
    /** 401: a bearer secret that is not the relay's. */
    M_UNKNOWN_TOKEN(401),
    /** 404 (no such endpoint), or 405 (method not allowed). */
    M_UNRECOGNIZED(404),
    /** 410: the token is older than what is retained, or belongs to another epoch; the body says {@code earliest}. */
    M_POSITION_TOO_OLD(410),
    /** 413, or 414 (query too long), or 431 (headers too large). */
    M_TOO_LARGE(413),
    /** 503 with {@code Retry-After}: the relay has not started capturing yet. */
    M_NOT_READY(503),
    /** 503 with {@code Retry-After}: too many requests are waiting. */
    M_LIMIT_EXCEEDED(503),
    /** 500: a fault of the relay. */
    M_UNKNOWN(500);

    private final int status;

    ErrorCode(int status) {
        this.status = status;
    }

    /** The HTTP status this code usually comes with. */
    public int status() {
        return status;
    }

    /** Whether {@code errcode}, as an answer carried it (may be null), is this code. */
    public boolean is(String errcode) {
        return name().equals(errcode);
    }
}

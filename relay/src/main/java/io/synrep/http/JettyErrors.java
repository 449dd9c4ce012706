package io.synrep.http;

import java.nio.ByteBuffer;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own rejections (a request line or headers too long, a malformed request, an ambiguous URI) answered as
 * {@code {"errcode","error"}} JSON like every other error, whatever the client accepts; never HTML, never a stack.
 */
final class JettyErrors extends ErrorHandler {
    /** Every method gets a body, not only GET, POST and HEAD as by default. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        if (code == 505) {
            // an HTTP version Jetty does not speak (0.9, 2.0 on a request line) is the client's error, not ours
            code = 400;
            response.setStatus(code);
            message = "unsupported HTTP version; use HTTP/1.1";
        }
        byte[] body = body(code, message);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    static ErrorCode errcode(int status) {
        return switch (status) {
            case 413, 414, 431 -> ErrorCode.M_TOO_LARGE;
            case 401 -> ErrorCode.M_MISSING_TOKEN;
            default -> status >= 500 ? ErrorCode.M_UNKNOWN : ErrorCode.M_UNRECOGNIZED;
        };
    }

    private static byte[] body(int status, String reason) {
        String text = reason == null || reason.isBlank() ? "HTTP " + status : reason;
        return ErrorAnswer.json(errcode(status), "request rejected: " + PollRequest.shorten(text))
                .getBytes(StandardCharsets.UTF_8);
    }
}

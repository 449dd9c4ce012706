package io.synrep.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
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

    static String errcode(int status) {
        return switch (status) {
            case 413, 414, 431 -> "M_TOO_LARGE";
            case 401 -> "M_MISSING_TOKEN";
            default -> status >= 500 ? "M_UNKNOWN" : "M_UNRECOGNIZED";
        };
    }

    private static byte[] body(int status, String reason) {
        ObjectNode body = HttpApi.JSON.createObjectNode();
        body.put("errcode", errcode(status));
        String text = reason == null || reason.isBlank() ? "HTTP " + status : reason;
        body.put("error", "request rejected: " + PollRequest.shorten(text));
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }
}

package io.synrep.streams;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.synrep.protocol.RawJson;
import java.io.IOException;

/**
 * Text columns that hold JSON (a catalog stream's {@code "json"} fields): a value that is exactly one JSON value is
 * embedded as JSON instead of as a JSON string. Validated with Jackson's streaming parser under its default, strict
 * settings and limits (nesting depth, number length), so what is embedded is what a Jackson reader of the row can
 * parse; anything else, and any value that is not text, is left as it is. Never throws. Stateless and thread-safe.
 */
final class JsonText {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonText() {}

    /** {@code value} as the row encoder should write it for a JSON field: a {@link RawJson} when it is JSON text. */
    static Object embed(Object value) {
        return value instanceof String s && isJson(s) ? new RawJson(s) : value;
    }

    /** Whether {@code text} is one complete JSON value, optionally surrounded by whitespace, and nothing else. */
    static boolean isJson(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false; // malformed, or beyond a limit: the value is streamed as text
        }
    }
}

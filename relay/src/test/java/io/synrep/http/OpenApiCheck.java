package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks real responses against an OpenAPI 3.1 document: the status is documented for the path, the media type
 * and required headers are as documented, and a JSON body validates against the documented schema (JSON Schema
 * 2020-12, references into {@code #/components} resolved). Remembers which path and status pairs it saw, so that a
 * test can demand that every documented response was produced.
 */
public final class OpenApiCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final JsonNode doc;
    private final Set<String> covered = new TreeSet<>();

    private OpenApiCheck(JsonNode doc) {
        this.doc = doc;
        assertTrue(doc.path("openapi").asText().startsWith("3.1"), "an OpenAPI 3.1 document");
    }

    /** The document shipped as resource {@code name} next to {@code anchor}. */
    public static OpenApiCheck load(Class<?> anchor, String name) {
        try (InputStream in = anchor.getResourceAsStream(name)) {
            assertNotNull(in, name + " is shipped next to " + anchor.getSimpleName());
            return new OpenApiCheck(JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode doc() {
        return doc;
    }

    /**
     * Checks {@code r}, an answer to a GET of documented path {@code template}: status {@code status} and, for
     * errors, {@code errcode} (null: not checked). Returns the parsed JSON body, or null for other media types.
     */
    public JsonNode check(String template, HttpResponse<String> r, int status, String errcode) {
        String where = r.request().uri() + " (" + template + ") -> " + r.statusCode() + " " + shorten(r.body());
        assertEquals(status, r.statusCode(), where);
        JsonNode response = operation(template).path("responses").path(Integer.toString(status));
        if (response.isMissingNode()) {
            fail("undocumented response: " + where);
        }
        covered.add(template + " " + status);
        String mediaType = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
        assertTrue(response.path("content").has(mediaType), "documented media type " + mediaType + ": " + where);
        for (Iterator<Map.Entry<String, JsonNode>> it = response.path("headers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            JsonNode ref = h.getValue().get("$ref");
            JsonNode header = ref == null ? h.getValue() : doc.at(ref.asText().substring(1));
            if (header.path("required").asBoolean()) {
                assertTrue(r.headers().firstValue(h.getKey()).isPresent(), "header " + h.getKey() + ": " + where);
            }
        }
        if (!mediaType.equals("application/json")) {
            return null;
        }
        assertEquals(List.of(), validate(template, status, r.body()), where);
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (errcode != null) {
            assertEquals(errcode, body.path("errcode").asText(), where);
        }
        return body;
    }

    /** Validates {@code body} against the JSON schema documented for a GET of {@code template} with {@code status}. */
    public List<Error> validate(String template, int status, String body) {
        JsonNode schema = operation(template).path("responses").path(Integer.toString(status))
                .path("content").path("application/json").path("schema");
        assertFalse(schema.isMissingNode(), "no JSON schema documented for " + template + " " + status);
        ObjectNode wrapper = schema.deepCopy();
        wrapper.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        wrapper.set("components", doc.get("components")); // so that #/components/... references resolve
        return SCHEMAS.getSchema(wrapper.toString()).validate(body, InputFormat.JSON);
    }

    /** Every documented "path status" pair. */
    public Set<String> documented() {
        Set<String> all = new TreeSet<>();
        doc.get("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op ->
                op.getValue().get("responses").fieldNames().forEachRemaining(st -> all.add(p.getKey() + " " + st))));
        return all;
    }

    /** The "path status" pairs {@link #check} has seen. */
    public Set<String> covered() {
        return covered;
    }

    private JsonNode operation(String template) {
        JsonNode op = doc.path("paths").path(template).path("get");
        assertFalse(op.isMissingNode(), "undocumented path " + template);
        return op;
    }

    private static String shorten(String s) {
        return s.length() <= 600 ? s : s.substring(0, 600) + "...";
    }
}

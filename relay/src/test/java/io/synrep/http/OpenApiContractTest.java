package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.RetentionConfig;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checks the OpenAPI document against real responses of a real server: every documented path and status is
 * produced, every response's status, media type and required headers are documented, and every JSON body
 * validates against its documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses). A response that drifts from
 * the document, or a documented response no request produces, fails the test.
 */
class OpenApiContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenApiCheck api;
    private JsonNode doc;
    private final List<OpsServer> servers = new ArrayList<>();

    @BeforeEach
    void loadDocument() {
        api = OpenApiCheck.load(HttpApi.class, "openapi.json");
        doc = api.doc();
    }

    @AfterEach
    void stop() {
        servers.forEach(OpsServer::close);
    }

    private OpsServer server(long start, int maxWaiting) {
        OpsServer s = new OpsServer(start, HttpConfig.defaults().withListen("127.0.0.1", 0).withMaxWaiting(maxWaiting),
                new RetentionConfig(2, Long.MAX_VALUE, Duration.ofDays(1)), OpsConfig.defaults());
        servers.add(s);
        return s;
    }

    @Test
    void everyDocumentedResponseIsProducedAndMatchesItsSchema() throws Exception {
        OpsServer s = server(100, 1);
        s.appendEvents(200, 1);
        s.appendReceipt(300);
        s.appendEvents(400, 2); // retention of 2 rows: the horizon moves to 300
        s.relay.writer = 1000;
        s.relay.states = Map.of("events", "ok", "receipts", "error: table receipts_linearized was dropped");
        String r = "/_synapse/replication";

        check(s, r, "events=-1&receipts=-1&timeout=0", 200, null);
        check(s, r, "events=-1&streams=-1&timeout=0", 200, null);
        JsonNode empty = check(s, r, "events=400&timeout=0", 200, null);
        assertEquals(0, empty.size(), "nothing new: {}");
        check(s, r, "events=-1&limit=0", 400, "M_INVALID_PARAM");
        check(s, r, "events=-1&events=now", 400, "M_INVALID_PARAM");
        check(s, r, "nosuchstream=-1", 400, "M_INVALID_PARAM");
        check(s, r, "events=5000&timeout=0", 400, "M_POSITION_AHEAD");
        JsonNode tooOld = check(s, r, "events=150", 410, "M_POSITION_TOO_OLD");
        assertEquals(300, tooOld.get("earliest").asLong());
        check(s, r, "events=-1&epoch=another-history", 410, "M_POSITION_TOO_OLD");

        CompletableFuture<HttpResponse<String>> parked = s.getAsync(r + "?events=400&timeout=60000");
        s.awaitParked(1);
        HttpResponse<String> limited = s.get(r + "?events=400&timeout=60000");
        checkResponse(r, limited, 503, "M_LIMIT_EXCEEDED");
        assertEquals("1", limited.headers().firstValue("Retry-After").orElse(null));
        s.appendEvents(500, 1);
        checkResponse(r, parked.get(30, TimeUnit.SECONDS), 200, null);

        JsonNode catalog = check(s, "/_synapse/replication/catalog", "", 200, null);
        assertEquals(OpsServer.FIELDS.size(), catalog.get("streams").size());
        check(s, "/health", "", 200, null);
        check(s, "/health/live", "", 200, null);
        check(s, "/health/ready", "", 200, null);
        check(s, "/status", "", 200, null);
        check(s, "/", "", 200, null);
        check(s, "/openapi.json", "", 200, null);
        HttpResponse<String> metrics = s.get("/metrics");
        checkResponse("/metrics", metrics, 200, null);
        for (JsonNode name : doc.at("/paths/~1metrics/get/x-synrep-metrics")) {
            assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith(name.asText() + "{")
                    || l.startsWith(name.asText() + " ")), "documented metric " + name.asText() + " is exposed");
        }
        s.relay.streaming = false;
        check(s, "/health", "", 503, null);
        check(s, "/health/ready", "", 503, null);

        OpsServer unstarted = server(-1, 10);
        check(unstarted, r, "events=-1", 503, "M_NOT_READY");
        check(unstarted, "/status", "", 200, null);

        assertEquals(api.documented(), api.covered(), "every documented path and status is exercised");
    }

    @Test
    void theServedDocumentIsTheShippedOne() throws IOException {
        OpsServer s = server(100, 10);
        assertEquals(doc, JSON.readTree(s.get("/openapi.json").body()));
    }

    /** The check can fail: bodies that drift from the document do not validate. */
    @Test
    void driftingBodiesDoNotValidate() throws IOException {
        OpsServer s = server(100, 10);
        s.appendEvents(200, 1);
        ObjectNode status = (ObjectNode) JSON.readTree(s.get("/status").body());
        assertEquals(List.of(), validate("/status", 200, status.toString()));
        ObjectNode extra = status.deepCopy();
        extra.put("undocumented", 1);
        assertFalse(validate("/status", 200, extra.toString()).isEmpty(), "an undocumented field");
        ObjectNode missing = status.deepCopy();
        missing.remove("horizon");
        assertFalse(validate("/status", 200, missing.toString()).isEmpty(), "a missing field");
        ObjectNode wrongType = status.deepCopy();
        ((ObjectNode) wrongType.get("streams").get("events")).put("captured_rows", "1");
        assertFalse(validate("/status", 200, wrongType.toString()).isEmpty(), "a string where a number belongs");

        String page = s.get("/_synapse/replication?events=-1&timeout=0").body();
        assertEquals(List.of(), validate("/_synapse/replication", 200, page));
        assertFalse(validate("/_synapse/replication", 200, page.replace("\"field_names\"", "\"fields\"")).isEmpty());
        assertFalse(validate("/_synapse/replication", 410,
                "{\"errcode\":\"M_POSITION_TOO_OLD\",\"error\":\"too old\"}").isEmpty(), "410 without earliest");
        assertFalse(validate("/_synapse/replication", 400,
                "{\"errcode\":\"M_SOMETHING_NEW\",\"error\":\"x\"}").isEmpty(), "an undocumented errcode");
    }

    private JsonNode check(OpsServer s, String path, String query, int status, String errcode) {
        return checkResponse(path, s.get(query.isEmpty() ? path : path + "?" + query), status, errcode);
    }

    private JsonNode checkResponse(String path, HttpResponse<String> r, int status, String errcode) {
        return api.check(path, r, status, errcode);
    }

    private List<Error> validate(String path, int status, String body) {
        return api.validate(path, status, body);
    }
}

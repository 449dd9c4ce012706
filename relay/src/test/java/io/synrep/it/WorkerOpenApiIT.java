package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import io.synrep.worker.Worker;
import io.synrep.client.TokenStore;
import io.synrep.http.OpenApiCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The worker's OpenAPI document against a real worker over a real relay and database filled by the randomized
 * Synapse-style writer: every documented path and status is produced and every body validates against its schema.
 */
class WorkerOpenApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final OpenApiCheck api = OpenApiCheck.load(Worker.class, "worker-openapi.json");

    @Test
    void everyDocumentedResponseIsProducedAndMatchesItsSchema() throws Exception {
        String url = TestPostgres.freshDatabase("workeroas");
        try (Relay relay = RelayFixture.start(url, SqlRows.dbName(url))) {
            RelayFixture.awaitStreaming(relay);
            WorkerWrites writes = new WorkerWrites(url, 2);
            writes.start(400, () -> false, 7);
            writes.await();
            writes.assertHealthy();
            long head = relay.log().head();
            try (Worker worker = Worker.start(settings(RelayFixture.base(relay), url));
                 Worker starting = Worker.start(settings("http://127.0.0.1:1", url));
                 Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                String base = "http://127.0.0.1:" + worker.port();
                awaitPosition(base, head);

                String[] event = row(st, "SELECT e.event_id, e.room_id FROM events e JOIN event_json j USING (event_id)"
                        + " WHERE e.stream_ordering > 0 ORDER BY e.stream_ordering DESC LIMIT 1", "$none", "!none:w.test");
                String member = row(st, "SELECT state_key FROM events WHERE type = 'm.room.member' AND state_key IS NOT"
                        + " NULL LIMIT 1", "@none:w.test")[0];
                String[] receipt = row(st, "SELECT room_id, user_id FROM receipts_linearized LIMIT 1",
                        "!none:w.test", "@none:w.test");
                String[] ad = row(st, "SELECT user_id, account_data_type FROM account_data LIMIT 1",
                        "@none:w.test", "m.none");
                String[] rad = row(st, "SELECT user_id, room_id FROM room_account_data LIMIT 1",
                        "@none:w.test", "!none:w.test");
                String tagged = row(st, "SELECT user_id FROM room_tags LIMIT 1", "@none:w.test")[0];
                String ruled = row(st, "SELECT user_id FROM push_rules_stream LIMIT 1", "@none:w.test")[0];
                String pushed = row(st, "SELECT user_name FROM pushers LIMIT 1", "@none:w.test")[0];
                String present = row(st, "SELECT user_id FROM presence_stream LIMIT 1", "@none:w.test")[0];

                JsonNode e = ok(base, "/events/{event_id}", "/events/" + seg(event[0]));
                assertEquals(event[0], e.get("event").get("event_id").asText());
                assertTrue(ok(base, "/rooms/{room}/latest_events", "/rooms/" + seg(event[1]) + "/latest_events?limit=5")
                        .get("events").size() > 0);
                assertTrue(ok(base, "/rooms/{room}/receipts", "/rooms/" + seg(receipt[0]) + "/receipts")
                        .get("receipts").size() > 0);
                ok(base, "/rooms/{room}/changed_since/{since}", "/rooms/" + seg(event[1]) + "/changed_since/0");
                assertTrue(ok(base, "/users/{user}/rooms", "/users/" + seg(member) + "/rooms").get("rooms").size() > 0);
                assertTrue(ok(base, "/users/{user}/receipts", "/users/" + seg(receipt[1]) + "/receipts")
                        .get("receipts").size() > 0);
                assertTrue(ok(base, "/users/{user}/account_data", "/users/" + seg(ad[0]) + "/account_data")
                        .get("account_data").size() > 0);
                ok(base, "/users/{user}/account_data", "/users/" + seg(ad[0]) + "/account_data?type=" + seg(ad[1]));
                ok(base, "/users/{user}/account_data/{type}", "/users/" + seg(ad[0]) + "/account_data/" + seg(ad[1]));
                assertTrue(ok(base, "/users/{user}/rooms/{room}/account_data",
                        "/users/" + seg(rad[0]) + "/rooms/" + seg(rad[1]) + "/account_data").get("account_data").size() > 0);
                assertTrue(ok(base, "/users/{user}/tags", "/users/" + seg(tagged) + "/tags").get("tags").size() > 0);
                ok(base, "/users/{user}/push_rules", "/users/" + seg(ruled) + "/push_rules");
                assertTrue(ok(base, "/users/{user}/pushers", "/users/" + seg(pushed) + "/pushers").get("pushers").size() > 0);
                assertTrue(ok(base, "/pushers", "/pushers").get("pushers").size() > 0);
                assertTrue(ok(base, "/users/{user}/presence", "/users/" + seg(present) + "/presence").get("presence")
                        .isObject());
                ok(base, "/users/{user}/presence", "/users/%40nobody:w.test/presence"); // null presence
                ok(base, "/users/{user}/changed_since/{since}", "/users/" + seg(member) + "/changed_since/0");
                ok(base, "/users/{user}/devices/{device}/changed_since/{since}",
                        "/users/" + seg(member) + "/devices/DEV/changed_since/0");
                ok(base, "/health", "/health");
                ok(base, "/position", "/position");
                assertTrue(ok(base, "/caches", "/caches").get("caches").size() > 0);
                ok(base, "/openapi.json", "/openapi.json");

                error(base, "/events/{event_id}", "/events/%24nope", 404, "M_NOT_FOUND");
                error(base, "/users/{user}/account_data", "/users/" + seg(ad[0]) + "/account_data?type=m.nope", 404,
                        "M_NOT_FOUND");
                error(base, "/users/{user}/account_data/{type}", "/users/" + seg(ad[0]) + "/account_data/m.nope", 404,
                        "M_NOT_FOUND");
                error(base, "/rooms/{room}/latest_events", "/rooms/!r:t/latest_events?limit=0", 400, "M_INVALID_PARAM");
                error(base, "/rooms/{room}/changed_since/{since}", "/rooms/!r:t/changed_since/soon", 400,
                        "M_INVALID_PARAM");
                error(base, "/users/{user}/changed_since/{since}", "/users/@u:t/changed_since/soon", 400,
                        "M_INVALID_PARAM");
                error(base, "/users/{user}/devices/{device}/changed_since/{since}",
                        "/users/@u:t/devices/D/changed_since/soon", 400, "M_INVALID_PARAM");
                // a worker whose relay does not answer has no position yet, and answers no read
                String startingBase = "http://127.0.0.1:" + starting.port();
                JsonNode health = api.check("/health", get(startingBase + "/health"), 503, null);
                assertEquals("starting", health.get("status").asText(), health.toString());
                for (String[] read : reads) {
                    JsonNode refused = api.check(read[0], get(startingBase + read[1]), 503, "M_UNAVAILABLE");
                    assertTrue(refused.get("error").asText().contains("not followed the relay"), refused.toString());
                }

                assertEquals(api.documented(), api.covered(), "every documented path and status is exercised");
            }
        }
    }

    private static Worker.Settings settings(String relay, String url) {
        return new Worker.Settings(URI.create(relay), url, "127.0.0.1", 0, "oas", TokenStore.inMemory(), "-1", 1000, 2,
                Duration.ofMillis(500));
    }

    /** Percent-encodes the characters of Matrix ids that cannot stand in a path segment as they are. */
    private static String seg(String id) {
        return id.replace("%", "%25").replace("$", "%24").replace("/", "%2F").replace("#", "%23").replace("?", "%3F")
                .replace(" ", "%20").replace("&", "%26");
    }

    private static String[] row(Statement st, String sql, String... fallback) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                return fallback;
            }
            String[] values = new String[fallback.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = rs.getString(i + 1);
            }
            return values;
        }
    }

    /** The reads answered so far (template, path), to ask a worker that never followed its relay. */
    private final List<String[]> reads = new ArrayList<>();

    private JsonNode ok(String base, String template, String path) throws Exception {
        if (!List.of("/health", "/position", "/caches", "/openapi.json").contains(template)) {
            reads.add(new String[] {template, path});
        }
        return api.check(template, get(base + path), 200, null);
    }

    private void error(String base, String template, String path, int status, String errcode) throws Exception {
        api.check(template, get(base + path), status, errcode);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitPosition(String base, long position) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode p = null;
        while (System.nanoTime() < deadline) {
            p = JSON.readTree(get(base + "/position").body());
            if (p.get("position").asLong() >= position) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the worker never reached " + position + ": " + p);
    }
}

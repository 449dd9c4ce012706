package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import io.synrep.worker.Worker;
import io.synrep.client.TokenStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import io.synrep.config.RetentionConfig;
import io.synrep.streams.Catalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker's read API over a real relay and database: answers carry the position, errors are JSON. */
class WorkerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void readApiServesStoresWithThePositionObservedBeforeTheRead() throws Exception {
        String url = TestPostgres.freshDatabase("workerapi");
        try (Relay relay = RelayFixture.start(url, "workerapi_slot")) {
            RelayFixture.awaitStreaming(relay);
            try (Worker worker = Worker.start(new Worker.Settings(URI.create(RelayFixture.base(relay)), url,
                    "127.0.0.1", 0, "it", TokenStore.inMemory(), "-1", 1000, 2, Duration.ofMillis(500)));
                 Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                String base = "http://127.0.0.1:" + worker.port();
                st.execute("WITH e AS (INSERT INTO events (topological_ordering, event_id, type, room_id, processed,"
                        + " outlier, stream_ordering) VALUES (1, '$ev1', 'm.room.message', '!room:t', true, false,"
                        + " nextval('events_stream_seq')))"
                        + " INSERT INTO event_json (event_id, room_id, internal_metadata, json)"
                        + " VALUES ('$ev1', '!room:t', '{}', '{\"content\":{\"body\":\"hi\"}}')");
                // the fence after the commit bounds it: a WAL position taken inside the transaction does not, since
                // the relay's head follows the server's WAL end (keepalives) past WAL not committed yet
                c.setAutoCommit(false);
                st.execute("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)"
                        + " VALUES (nextval('receipts_sequence'), '!room:t', 'm.read', '@u:t', '$e1', '{\"ts\":5}')");
                c.commit();
                c.setAutoCommit(true);
                long committed = WorkerTap.fence(RelayFixture.base(relay), c);
                JsonNode receipts = awaitPosition(base, "/users/@u:t/receipts", committed);
                assertEquals("$e1", receipts.get("receipts").get(0).get("event_id").asText());
                assertEquals(5, receipts.get("receipts").get(0).get("data").get("ts").asInt());

                JsonNode position = get(base + "/position", 200);
                assertTrue(position.get("position").asLong() >= committed, position.toString());
                assertTrue(position.has("epoch") && position.has("resyncs") && position.has("rows"),
                        position.toString());
                assertEquals("reading", get(base + "/health", 200).get("status").asText());

                JsonNode latest = get(base + "/rooms/!room:t/latest_events?limit=5", 200);
                assertEquals("$ev1", latest.get("events").get(0).get("event_id").asText());
                JsonNode event = get(base + "/events/$ev1", 200).get("event");
                assertEquals("hi", event.get("content").get("body").asText(), event.toString());
                assertTrue(event.get("redacted_by").isNull());
                assertTrue(latest.get("position").asLong() >= committed);
                JsonNode changed = get(base + "/users/@u:t/changed_since/0", 200);
                assertTrue(changed.get("changed").asBoolean());
                assertFalse(get(base + "/users/@u:t/changed_since/" + Long.MAX_VALUE / 2, 200)
                        .get("changed").asBoolean());
                assertTrue(get(base + "/caches", 200).get("caches").size() >= 10);
                assertTrue(get(base + "/users/@u:t/presence", 200).get("presence").isNull());
                assertEquals(0, get(base + "/users/@u:t/tags", 200).get("tags").size());

                JsonNode missing = get(base + "/events/$nope", 404);
                assertEquals("M_NOT_FOUND", missing.get("errcode").asText());
                assertTrue(missing.has("position"));
                assertEquals("M_NOT_FOUND", get(base + "/users/@u:t/account_data/m.direct", 404)
                        .get("errcode").asText());
                assertEquals("M_INVALID_PARAM", get(base + "/rooms/!r:t/latest_events?limit=0", 400)
                        .get("errcode").asText());
                assertEquals("M_INVALID_PARAM", get(base + "/users/@u:t/changed_since/soon", 400)
                        .get("errcode").asText());
                assertEquals("M_UNRECOGNIZED", get(base + "/nothing/here", 404).get("errcode").asText());
            }
        }
    }

    @Test
    void aRelayWithoutAStreamLeavesTheStoreThatNeedsItUnavailableAndTheOthersFresh(@TempDir Path dir)
            throws Exception {
        String url = TestPostgres.freshDatabase("workermissing");
        Path file = dir.resolve("no-receipts.json");
        Files.writeString(file, "{\"extends\": \"builtin\", \"drop\": [\"receipts\"], \"streams\": []}");
        Catalog catalog = Catalog.load(file, Catalog.DEFAULT_BUILTIN);
        Relay relay = RelayFixture.start(url, "wmissing", catalog, RetentionConfig.defaults());
        boolean relayClosed = false;
        try (Worker worker = Worker.start(new Worker.Settings(URI.create(RelayFixture.base(relay)), url,
                "127.0.0.1", 0, "missing", TokenStore.inMemory(), "-1", 1000, 2, Duration.ofMillis(300)));
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            String base = "http://127.0.0.1:" + worker.port();
            c.setAutoCommit(false);
            st.execute("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)"
                    + " VALUES (nextval('receipts_sequence'), '!room:t', 'm.read', '@u:t', '$e1', '{}')");
            st.execute("INSERT INTO account_data (user_id, account_data_type, stream_id, content)"
                    + " VALUES ('@u:t', 'm.one', nextval('account_data_sequence'), '{\"v\":1}')");
            c.commit();
            c.setAutoCommit(true);
            long first = WorkerTap.fence(RelayFixture.base(relay), c);
            JsonNode before = awaitPosition(base, "/users/@u:t/account_data", first);
            assertEquals(1, before.get("account_data").get("m.one").get("v").asInt(), before.toString());

            // the stores the relay's streams invalidate stay fresh: cached, written, read again once processed
            c.setAutoCommit(false);
            st.execute("UPDATE account_data SET content = '{\"v\":2}', stream_id = nextval('account_data_sequence')"
                    + " WHERE user_id = '@u:t' AND account_data_type = 'm.one'");
            c.commit();
            c.setAutoCommit(true);
            long committed = WorkerTap.fence(RelayFixture.base(relay), c);
            JsonNode after = awaitPosition(base, "/users/@u:t/account_data", committed);
            assertEquals(2, after.get("account_data").get("m.one").get("v").asInt(), after.toString());

            // receipts: not served, so never invalidated: no answer from that cache, whatever is in it
            for (String path : new String[] {"/users/@u:t/receipts", "/rooms/!room:t/receipts"}) {
                JsonNode refused = get(base + path, 503);
                assertEquals("M_UNAVAILABLE", refused.get("errcode").asText());
                assertEquals("stream receipts is not served by the relay: receipts read here would never be"
                        + " invalidated", refused.get("error").asText());
            }
            // the change caches receipts feeds answer conservatively
            assertTrue(get(base + "/users/@nobody:t/changed_since/" + Long.MAX_VALUE / 2, 200).get("changed")
                    .asBoolean());
            assertTrue(get(base + "/rooms/!nowhere:t/changed_since/" + Long.MAX_VALUE / 2, 200).get("changed")
                    .asBoolean());
            JsonNode health = get(base + "/health", 503);
            assertEquals("degraded", health.get("status").asText(), health.toString());
            assertEquals("[\"receipts\"]", health.get("missing_streams").toString());
            assertEquals("custom", health.get("catalog").asText());
            assertTrue(health.get("reasons").toString().contains("does not serve stream receipts"), health.toString());
            String error = worker.client().lastError();
            assertTrue(error == null || !error.contains("receipts"), "no poll ever named receipts: " + error);

            // the relay goes away: the worker is not following any more, and says so; reads keep their position
            relay.close();
            relayClosed = true;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!get(base + "/health", 503).get("status").asText().equals("not_following")) {
                assertTrue(System.nanoTime() < deadline, "the worker noticed the relay is gone");
                Thread.sleep(50);
            }
            JsonNode stale = get(base + "/health", 503);
            assertTrue(stale.get("reasons").get(0).asText().startsWith("not following the relay"), stale.toString());
            JsonNode still = get(base + "/users/@u:t/account_data", 200);
            assertEquals(2, still.get("account_data").get("m.one").get("v").asInt());
            assertTrue(still.get("position").asLong() >= committed);
        } finally {
            if (!relayClosed) {
                relay.close();
            }
        }
    }

    /**
     * Polls {@code path} until its answer's position is at least {@code position}; a read refused because the worker
     * has not followed the relay yet (503) is asked again.
     */
    private JsonNode awaitPosition(String base, String path, long position) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = send(base + path);
            last = JSON.readTree(r.body());
            if (r.statusCode() == 503 && last.get("error").asText().contains("not followed the relay yet")) {
                Thread.sleep(50);
                continue;
            }
            assertEquals(200, r.statusCode(), path + " -> " + r.body());
            if (last.get("position").asLong() >= position) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("position never reached " + position + ": " + last);
    }

    private HttpResponse<String> send(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url.replace("$", "%24"))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String url, int status) throws Exception {
        HttpResponse<String> r = send(url);
        assertEquals(status, r.statusCode(), url + " -> " + r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertFalse(r.body().contains("\tat "));
        return JSON.readTree(r.body());
    }
}

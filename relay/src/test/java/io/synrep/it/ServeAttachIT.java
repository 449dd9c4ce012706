package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code synrep serve --pg-url} as its own process, attached to a PostgreSQL it did not start; exercised over
 * real HTTP the way an operator would with curl and psql.
 */
class ServeAttachIT {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void attachedRelayServesWritesAndExplainsBadTokens() throws Exception {
        String url = TestPostgres.freshDatabase("attach");
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"),
                List.of("--pg-url", url, "--listen", "127.0.0.1:0", "--slot", "attach_slot", "--publication", "attach_pub",
                        "--data-dir", java.nio.file.Files.createTempDirectory("attach").toString()));
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            // serving comes first; /health turns 200 once capture streams (503 "starting" until then)
            HttpResponse<String> health = get(relay.base() + "/health");
            long streamingBy = System.nanoTime() + 60_000_000_000L;
            while (health.statusCode() == 503 && System.nanoTime() < streamingBy) {
                assertTrue(health.body().contains("starting"), health.body());
                Thread.sleep(50);
                health = get(relay.base() + "/health");
            }
            assertEquals(200, health.statusCode(), health.body());
            String epoch = health.headers().firstValue("Synrep-Epoch").orElse(null);
            assertNotNull(epoch);
            assertTrue(epoch.matches("\\d+-attach_slot-[0-9a-f]+"), epoch);
            long start = JSON.readTree(health.body()).get("position").asLong();

            // the relay created the publication for the catalog tables and the slot
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'attach_pub'")) {
                rs.next();
                assertEquals(16, rs.getInt(1));
            }

            // a long-poll parked at the current position is answered by a commit
            long t0 = System.nanoTime();
            var pending = http.sendAsync(HttpRequest.newBuilder(URI.create(relay.base()
                    + "/_synapse/replication?receipts=" + start + "&timeout=30000")).build(), HttpResponse.BodyHandlers.ofString());
            st.execute("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data) "
                    + "VALUES (7, '!room:t', 'm.read', '@alice:t', '$e1', '{\"ts\":1}')");
            HttpResponse<String> r = pending.get();
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(waitedMs < 30_000, "answered by the commit, not the timeout");
            JsonNode receipts = JSON.readTree(r.body()).get("receipts");
            assertEquals(List.of("position", "stream_id", "room_id", "receipt_type", "user_id", "event_id", "data"),
                    JSON.convertValue(receipts.get("field_names"), List.class));
            JsonNode row = receipts.get("rows").get(0);
            assertEquals(7, row.get(1).asLong());
            assertEquals("@alice:t", row.get(4).asText());
            assertEquals(receipts.get("position").asLong(), row.get(0).asLong());
            assertEquals(epoch, r.headers().firstValue("Synrep-Epoch").orElse(null));

            // LSN text tokens are accepted
            String lsnText = Long.toHexString(start >>> 32).toUpperCase() + "/" + Long.toHexString(start & 0xFFFFFFFFL).toUpperCase();
            HttpResponse<String> byLsn = get(relay.base() + "/_synapse/replication?receipts=" + lsnText + "&timeout=0");
            assertEquals(200, byLsn.statusCode(), byLsn.body());
            assertEquals(1, JSON.readTree(byLsn.body()).get("receipts").get("rows").size());

            // ahead of anything the writer wrote: 400 M_POSITION_AHEAD
            HttpResponse<String> ahead = get(relay.base() + "/_synapse/replication?receipts=FFFFFF/0&timeout=0");
            assertEquals(400, ahead.statusCode());
            assertEquals("M_POSITION_AHEAD", JSON.readTree(ahead.body()).get("errcode").asText());

            // ahead of the relay but not of the writer: WAL of a table outside the catalog; the request waits
            st.execute("INSERT INTO event_json (event_id, room_id, internal_metadata, json) VALUES ('$x', '!r', '{}', '{}')");
            long writerLsn;
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
                rs.next();
                writerLsn = rs.getLong(1);
            }
            HttpResponse<String> waits = get(relay.base() + "/_synapse/replication?receipts=" + writerLsn + "&timeout=1500");
            assertEquals(200, waits.statusCode(), waits.body());
            assertFalse(waits.body().contains("errcode"));

            // positions move without rows: WAL of tables outside the catalog is read, heartbeats report it
            long head = JSON.readTree(get(relay.base() + "/health").body()).get("position").asLong();
            long moved = head;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (moved < writerLsn && System.nanoTime() < deadline) {
                HttpResponse<String> idle = get(relay.base() + "/_synapse/replication?receipts=" + head + "&timeout=500");
                assertEquals(200, idle.statusCode(), idle.body());
                JsonNode r2 = JSON.readTree(idle.body()).get("receipts");
                if (r2 != null) {
                    assertEquals(0, r2.get("rows").size(), "no rows were written to receipts");
                    moved = r2.get("position").asLong();
                }
            }
            assertTrue(moved >= writerLsn, "position moved past the unrelated write: " + moved + " < " + writerLsn);

            // bad input is a JSON 400, never a stack trace
            HttpResponse<String> bad = get(relay.base() + "/_synapse/replication?receipts=abc");
            assertEquals(400, bad.statusCode());
            assertEquals("M_INVALID_PARAM", JSON.readTree(bad.body()).get("errcode").asText());
            assertFalse(relay.output().contains("Exception"), relay.output());
        }
    }

    HttpResponse<String> get(String u) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

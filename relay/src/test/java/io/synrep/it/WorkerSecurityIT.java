package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import io.synrep.worker.Worker;
import io.synrep.client.TokenStore;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.Secret;
import io.synrep.http.TlsFiles;
import io.synrep.streams.Catalog;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relay that requires a secret over HTTPS, and a worker that reads it with that secret while protecting its own
 * read API with another secret over HTTPS: real database, capture, relay and worker.
 */
class WorkerSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RELAY_SECRET = "relay-secret-it-0123456789";
    private static final String API_SECRET = "worker-api-secret-it-0123456789";

    @TempDir
    Path dir;

    @Test
    void aWorkerReadsASecuredRelayAndSecuresItsOwnApi() throws Exception {
        TlsFiles tls = TlsFiles.create(dir, "EC");
        HttpClient trusting = HttpClient.newBuilder().sslContext(tls.trustingContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
        String url = TestPostgres.freshDatabase("workersec");
        HttpConfig relayHttp = HttpConfig.defaults().withListen("127.0.0.1", 0).withAuth(Secret.of(RELAY_SECRET))
                .withTls(tls.cert(), tls.key());
        try (Relay relay = Relay.start(RelayFixture.capture(url, "workersec_slot"), relayHttp,
                RetentionConfig.defaults(), Catalog.builtin())) {
            RelayFixture.awaitStreaming(relay);
            String relayBase = "https://127.0.0.1:" + relay.port();
            assertEquals(401, send(trusting, relayBase + "/_synapse/replication?receipts=-1&timeout=0", null)
                    .statusCode());
            try (Worker worker = Worker.start(new Worker.Settings(URI.create(relayBase), url, "127.0.0.1", 0, "sec",
                    TokenStore.inMemory(), "-1", 1000, 2, Duration.ofMillis(300), RELAY_SECRET, trusting,
                    Secret.of(API_SECRET), tls.cert(), tls.key()));
                 Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                String base = "https://127.0.0.1:" + worker.port();
                st.execute("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id,"
                        + " data) VALUES (nextval('receipts_sequence'), '!room:t', 'm.read', '@u:t', '$e1',"
                        + " '{\"ts\":5}')");
                JsonNode receipts = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    HttpResponse<String> r = send(trusting, base + "/users/@u:t/receipts", API_SECRET);
                    if (r.statusCode() == 503 && r.body().contains("not followed the relay yet")) {
                        Thread.sleep(50); // no poll answered yet: reads wait for the reader to follow the relay
                        continue;
                    }
                    assertEquals(200, r.statusCode(), r.body());
                    receipts = JSON.readTree(r.body()).get("receipts");
                    if (receipts.size() > 0) {
                        break;
                    }
                    Thread.sleep(50);
                }
                assertEquals("$e1", receipts.get(0).get("event_id").asText(), "read through the secured relay");
                assertTrue(worker.client().lastError() == null || !worker.client().lastError().contains("401"),
                        worker.client().lastError());

                HttpResponse<String> refused = send(trusting, base + "/users/@u:t/receipts", RELAY_SECRET);
                assertEquals(401, refused.statusCode());
                assertEquals("M_UNKNOWN_TOKEN", JSON.readTree(refused.body()).get("errcode").asText());
                assertEquals("M_MISSING_TOKEN", JSON.readTree(send(trusting, base + "/position", null).body())
                        .get("errcode").asText());
                assertEquals(200, send(trusting, base + "/health", null).statusCode(), "the probe stays open");
                HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                assertThrows(IOException.class, () -> send(plain, "http://127.0.0.1:" + worker.port() + "/health",
                        null));
            }
        }
    }

    private static HttpResponse<String> send(HttpClient client, String url, String secret) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.replace("$", "%24")))
                .timeout(Duration.ofSeconds(20));
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}

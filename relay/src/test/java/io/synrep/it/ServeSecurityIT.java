package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.http.TlsFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synrep serve} as a process: the secret from {@code $SYNREP_AUTH_SECRET} and HTTPS from PEM files serve rows
 * to a reader with both, refuse one without the secret, and never print the secret; a public bind without a secret
 * is warned about.
 */
class ServeSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "serve-process-secret-0123456789";
    private static final Pattern SERVING = Pattern.compile("Synrep relay serving https?://[^:]+:(\\d+)/");

    @TempDir
    Path dir;

    private static JarProcess serve(List<String> args, Map<String, String> env) throws Exception {
        JarProcess p = JarProcess.launch("serve", List.of("-Xmx256m"), args, SERVING, env);
        int port = p.port().get(120, TimeUnit.SECONDS);
        if (port < 0) {
            throw new AssertionError("relay exited: " + Files.readString(p.output()));
        }
        return p;
    }

    private static String stop(JarProcess p) throws Exception {
        p.process().destroy();
        if (!p.process().waitFor(30, TimeUnit.SECONDS)) {
            p.process().destroyForcibly().waitFor();
        }
        p.drained().get(10, TimeUnit.SECONDS);
        return Files.readString(p.output());
    }

    @Test
    void aSecuredRelayProcessServesOnlyReadersWithTheSecret() throws Exception {
        String url = TestPostgres.freshDatabase("servesec");
        TlsFiles tls = TlsFiles.create(dir, "RSA");
        JarProcess relay = serve(List.of("--pg-url", url, "--listen", "127.0.0.1:0", "--slot", "servesec_slot",
                "--publication", "servesec_pub", "--data-dir", dir.resolve("data").toString(),
                "--tls-cert", tls.cert().toString(), "--tls-key", tls.key().toString()),
                Map.of("SYNREP_AUTH_SECRET", SECRET));
        String output;
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            HttpClient trusting = HttpClient.newBuilder().sslContext(tls.trustingContext()).build();
            String base = "https://127.0.0.1:" + relay.port().get();
            st.execute("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)"
                    + " VALUES (nextval('receipts_sequence'), '!room:t', 'm.read', '@u:t', '$e1', '{}')");
            JsonNode rows = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                HttpResponse<String> r = trusting.send(HttpRequest.newBuilder(URI.create(base
                                + "/_synapse/replication?receipts=-1&timeout=2000"))
                        .header("Authorization", "Bearer " + SECRET).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    rows = JSON.readTree(r.body()).path("receipts").path("rows");
                    if (rows.size() > 0) {
                        break;
                    }
                } else {
                    assertEquals(503, r.statusCode(), r.body()); // not capturing yet
                    Thread.sleep(50);
                }
            }
            assertEquals("$e1", rows.get(0).get(5).asText(), String.valueOf(rows));
            HttpResponse<String> refused = trusting.send(HttpRequest.newBuilder(URI.create(base
                    + "/_synapse/replication?receipts=-1&timeout=0")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, refused.statusCode());
            assertEquals("M_MISSING_TOKEN", JSON.readTree(refused.body()).get("errcode").asText());
        } finally {
            output = stop(relay);
        }
        assertTrue(output.contains("https://127.0.0.1:") && output.contains("bearer secret required"), output);
        assertTrue(output.contains("auth=***"), "the effective configuration masks it: " + output);
        assertFalse(output.contains(SECRET), output);
        assertFalse(output.contains("without an auth secret"), output);
    }

    @Test
    void aPublicBindWithoutASecretIsWarnedAbout() throws Exception {
        String url = TestPostgres.freshDatabase("servepub");
        Map<String, String> env = new HashMap<>();
        env.put("SYNREP_AUTH_SECRET", null);
        JarProcess relay = serve(List.of("--pg-url", url, "--listen", "0.0.0.0:0", "--slot", "servepub_slot",
                "--publication", "servepub_pub", "--data-dir", dir.resolve("pub").toString()), env);
        String output = stop(relay);
        assertTrue(output.contains("WARN") && output.contains("listens on 0.0.0.0 without an auth secret"), output);
    }
}

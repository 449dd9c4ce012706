package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker does not send its own API secret ({@code SYNREP_AUTH_SECRET}) to the relay: the relay's secret comes
 * only from {@code relay-secret} / {@code SYNREP_RELAY_SECRET} / {@code relay-secret-file}. The worker runs as an
 * operator runs it ({@code java -jar synrep.jar worker}, configured by its environment); the relay is an HTTP
 * server that records the {@code Authorization} header of every request it gets and refuses them all with 401, as
 * a relay with a secret refuses a reader without it.
 */
class WorkerRelaySecretIT {
    private static final Pattern SERVING = Pattern.compile("Synrep worker serving http://[^:]+:(\\d+)/");
    private static final String API_SECRET = "the-worker-api-secret-0123456789";
    private static final String RELAY_SECRET = "the-relays-own-secret-9876543210";
    private static final String NONE = "(none)";

    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private HttpServer relay;

    @BeforeEach
    void startRecordingRelay() throws IOException {
        relay = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        relay.createContext("/", ex -> {
            authorizations.add(ex.getRequestURI().getPath() + " "
                    + String.join(",", ex.getRequestHeaders().getOrDefault("Authorization", List.of(NONE))));
            byte[] body = "{\"errcode\":\"M_MISSING_TOKEN\",\"error\":\"this relay requires a secret\"}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"synrep\"");
            ex.sendResponseHeaders(401, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        relay.start();
    }

    @AfterEach
    void stopRelay() {
        relay.stop(0);
    }

    @Test
    void theWorkersApiSecretIsNeverSentToTheRelay() throws Exception {
        List<String> seen = requestsOfAWorkerWith(Map.of("SYNREP_AUTH_SECRET", API_SECRET), "noleak");
        for (String request : seen) {
            assertTrue(request.endsWith(" " + NONE), "no Authorization sent to the relay: " + seen);
        }
    }

    @Test
    void control_theRelaySecretIsSentAndTheRecorderSeesIt() throws Exception {
        List<String> seen = requestsOfAWorkerWith(
                Map.of("SYNREP_AUTH_SECRET", API_SECRET, "SYNREP_RELAY_SECRET", RELAY_SECRET), "sends");
        for (String request : seen) {
            assertTrue(request.endsWith(" Bearer " + RELAY_SECRET), "the relay's secret, only it: " + seen);
        }
    }

    /**
     * Starts a worker with {@code env} (and no other {@code SYNREP_*} variable), checks that its read API requires
     * {@link #API_SECRET}, waits until the relay has had two requests from it, stops it, and returns them.
     */
    private List<String> requestsOfAWorkerWith(Map<String, String> env, String name) throws Exception {
        String url = TestPostgres.freshDatabase("relaysecret");
        Map<String, String> environment = new HashMap<>();
        System.getenv().keySet().stream().filter(k -> k.startsWith("SYNREP_")).forEach(k -> environment.put(k, null));
        environment.putAll(env);
        JarProcess worker = JarProcess.launch("worker", WorkerProcess.JVM, List.of("--relay",
                "http://127.0.0.1:" + relay.getAddress().getPort(), "--pg-url", url, "--listen", "127.0.0.1:0",
                "--name", name, "--tokens", "memory", "--poll-timeout", "1s"), SERVING, environment);
        try {
            int port = worker.port().get(120, TimeUnit.SECONDS);
            if (port < 0) {
                fail("the worker exited before serving: " + java.nio.file.Files.readString(worker.output()));
            }
            String base = "http://127.0.0.1:" + port + "/position";
            assertEquals(401, get(base, null).statusCode(), "its read API requires the secret from the environment");
            assertEquals(200, get(base, API_SECRET).statusCode());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (authorizations.size() < 2) {
                if (System.nanoTime() > deadline) {
                    fail("the worker did not ask the relay twice: " + authorizations + "\n"
                            + java.nio.file.Files.readString(worker.output()));
                }
                Thread.sleep(20);
            }
        } finally {
            worker.process().destroy();
            if (!worker.process().waitFor(30, TimeUnit.SECONDS)) {
                worker.process().destroyForcibly().waitFor();
            }
        }
        assertTrue(authorizations.stream().anyMatch(r -> r.startsWith("/_synapse/replication")), authorizations.toString());
        return List.copyOf(authorizations);
    }

    private HttpResponse<String> get(String uri, String secret) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30));
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}

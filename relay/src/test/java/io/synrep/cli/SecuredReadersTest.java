package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.Secret;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.http.TlsFiles;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readers of a relay that requires a secret over HTTPS: the reader library and {@code tail}. */
@org.junit.jupiter.api.Timeout(60) // a tail that should have stopped would otherwise run for ever
class SecuredReadersTest {
    private static final String SECRET = "readers-secret-0123456789abcdef";

    @TempDir
    Path dir;
    private TlsFiles tls;
    private Javalin app;
    private String base;

    @BeforeEach
    void start() throws Exception {
        tls = TlsFiles.create(dir, "EC");
        StreamLog log = new StreamLog(List.of("receipts"), new RetentionConfig(1000, 1 << 20, Duration.ofHours(1)),
                InstantSource.system());
        log.start(100);
        RelayStatus status = new RelayStatus() {
            public boolean streaming() { return true; }
            public String epoch() { return "test-epoch"; }
            public OptionalLong writerPosition(long atLeast) { return OptionalLong.of(1_000_000); }
            public String describe() { return "test"; }
        };
        app = HttpApi.create(log, Map.of("receipts", List.of("stream_id", "user_id")),
                HttpConfig.defaults().withListen("127.0.0.1", 0).withAuth(Secret.of(SECRET))
                        .withTls(tls.cert(), tls.key()), status).start();
        base = "https://127.0.0.1:" + app.port();
        log.append(new Transaction(150, Map.of("receipts", List.of(",7,\"@a:t\"".getBytes(StandardCharsets.UTF_8)))));
        log.append(new Transaction(160, Map.of("receipts", List.of(",8,\"@b:t\"".getBytes(StandardCharsets.UTF_8)))));
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private ReplicationClient reader(String secret, List<Row> rows) throws Exception {
        HttpClient trusting = HttpClient.newBuilder().sslContext(tls.trustingContext()).build();
        return ReplicationClient.builder(URI.create(base)).on("receipts", rows::add).from("-1")
                .pollTimeout(Duration.ofMillis(200)).backoff(Duration.ofMillis(20), Duration.ofMillis(50))
                .httpClient(trusting).bearerSecret(secret).build().start();
    }

    @Test
    void theReaderLibrarySendsTheSecret() throws Exception {
        List<Row> rows = new CopyOnWriteArrayList<>();
        try (ReplicationClient c = reader(SECRET, rows)) {
            assertTrue(c.awaitPosition(160, Duration.ofSeconds(20)), "reached 160: " + c.lastError());
        }
        assertEquals(List.of(150L, 160L), rows.stream().map(Row::position).toList());
        assertEquals(8L, rows.get(1).get("stream_id"));

        List<Row> none = new CopyOnWriteArrayList<>();
        try (ReplicationClient c = reader(SECRET + "-wrong", none)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (c.errors() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(c.lastError().contains("401") && c.lastError().contains("M_UNKNOWN_TOKEN"), c.lastError());
            assertEquals(-1, c.position());
        }
        assertTrue(none.isEmpty());
    }

    private int tail(ByteArrayOutputStream out, ByteArrayOutputStream err, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("tail", "--url", base, "--from", "-1", "--count", "2",
                "--timeout-ms", "500", "--relay-ca", tls.cert().toString()));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void tailReadsTheSecretFromAFileAndTrustsTheRelayCertificate() throws Exception {
        Path secretFile = dir.resolve("relay.secret");
        Files.writeString(secretFile, SECRET + "\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, tail(out, err, "--relay-secret-file", secretFile.toString()), err.toString());
        String[] lines = out.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(2, lines.length, out.toString());
        JsonNode second = TailTest.JSON.readTree(lines[1]);
        assertEquals(160, second.get("position").asLong());
        assertEquals("@b:t", second.get("row").get("user_id").asText());

        ByteArrayOutputStream refusedErr = new ByteArrayOutputStream();
        assertEquals(1, tail(new ByteArrayOutputStream(), refusedErr), "no secret: a clear failure, not a retry loop");
        String message = refusedErr.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("401") && message.contains("--relay-secret-file"), message);
        assertTrue(!message.contains(SECRET), message);

        // with the streams named, tail does not ask for the stream list: the reader's own refused request ends it
        ByteArrayOutputStream namedErr = new ByteArrayOutputStream();
        assertEquals(1, tail(new ByteArrayOutputStream(), namedErr, "--streams", "receipts"),
                "no secret, streams named: a clear failure, not a retry loop");
        String named = namedErr.toString(StandardCharsets.UTF_8);
        assertTrue(named.contains("401 M_MISSING_TOKEN") && named.contains("--relay-secret-file"), named);

        Files.writeString(secretFile, "short\n");
        ByteArrayOutputStream shortErr = new ByteArrayOutputStream();
        assertEquals(2, tail(new ByteArrayOutputStream(), shortErr, "--relay-secret-file", secretFile.toString()));
        assertTrue(shortErr.toString().contains("at least 16"), shortErr.toString());
    }
}

package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code tail} reader against a real HTTP API and log: JSON lines, and resync after 410. */
@org.junit.jupiter.api.Timeout(60) // a tail that should have stopped would otherwise run for ever
class TailTest {
    static final ObjectMapper JSON = new ObjectMapper();
    StreamLog log;
    Javalin app;
    RelayStatus status;

    @BeforeEach
    void start() {
        log = new StreamLog(List.of("receipts", "caches"), new RetentionConfig(1000, 1 << 20, Duration.ofHours(1)),
                InstantSource.system());
        log.start(100);
        status = new RelayStatus() {
            public boolean streaming() { return true; }
            public String epoch() { return "test-epoch"; }
            public OptionalLong writerPosition(long atLeast) { return OptionalLong.of(1_000_000); }
            public String describe() { return "test"; }
        };
        app = HttpApi.create(log, Map.of("receipts", List.of("stream_id", "user_id"), "caches", List.of("stream_id")),
                HttpConfig.defaults().withListen("127.0.0.1", 0), status).start();
        log.append(new Transaction(150, Map.of("receipts", List.of(",7,\"@a:t\"".getBytes(StandardCharsets.UTF_8)))));
        log.append(new Transaction(160, Map.of("caches", List.of(",9".getBytes(StandardCharsets.UTF_8)))));
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private record Run(int code, String out, String err) {
        List<Long> positions() throws Exception {
            List<Long> out = new java.util.ArrayList<>();
            for (String line : this.out.trim().split("\n")) {
                if (!line.isEmpty()) {
                    out.add(JSON.readTree(line).get("position").asLong());
                }
            }
            return out;
        }
    }

    private Run tail(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new java.util.ArrayList<>(List.of("tail", "--url", "http://127.0.0.1:" + app.port(),
                "--timeout-ms", "1000"));
        all.addAll(List.of(args));
        int code = Cli.run(all.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void rowsComeInPositionOrderAcrossStreamsWhenTheLimitCutsAStreamShort() throws Exception {
        // receipts at 150 and 155, caches at 160: with one row per stream per answer, the first answer holds
        // receipts 150 and caches 160; handing both over would print 160 before receipts 155 of the next answer
        app.stop();
        log = new StreamLog(List.of("receipts", "caches"), new RetentionConfig(1000, 1 << 20, Duration.ofHours(1)),
                InstantSource.system());
        log.start(100);
        app = HttpApi.create(log, Map.of("receipts", List.of("stream_id", "user_id"), "caches", List.of("stream_id")),
                HttpConfig.defaults().withListen("127.0.0.1", 0), status).start();
        log.append(new Transaction(150, Map.of("receipts", List.of(",7,\"@a:t\"".getBytes(StandardCharsets.UTF_8)))));
        log.append(new Transaction(155, Map.of("receipts", List.of(",8,\"@b:t\"".getBytes(StandardCharsets.UTF_8)))));
        log.append(new Transaction(160, Map.of("caches", List.of(",9".getBytes(StandardCharsets.UTF_8)))));
        Run r = tail("--streams", "caches,receipts", "--from", "-1", "--limit", "1", "--count", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(150L, 155L, 160L), r.positions(), r.out());
    }

    @Test
    void aTokenAheadOfTheWriterResyncsFromTheOldestRetainedPosition() throws Exception {
        // the relay's writer has written up to 1 000 000: a token past it comes from another database
        Run r = tail("--streams", "receipts,caches", "--from", "5000000", "--count", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("ahead of the relay's writer; continuing from -1"), r.err());
        assertEquals(List.of(150L, 160L), r.positions(), r.out());
    }

    @Test
    void aStreamTheRelayDoesNotServeEndsTailWithExitCodeOne() {
        Run r = tail("--streams", "receipts,nope", "--from", "-1");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("does not serve [nope]"), r.err());
    }

    @Test
    void aMalformedStartTokenIsAUsageError() {
        Run r = tail("--from", "yesterday");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--from must be now, -1, a position or an LSN"), r.err());
    }

    @Test
    void anLsnStartTokenIsReadAsItsPosition() throws Exception {
        // 0/A0 is 160: only what came after it
        log.append(new Transaction(170, Map.of("receipts", List.of(",8,\"@b:t\"".getBytes(StandardCharsets.UTF_8)))));
        Run r = tail("--streams", "receipts,caches", "--from", "0/A0", "--count", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(170L), r.positions(), r.out());
    }

    @Test
    void printsOneJsonLinePerRowAndResyncsFromEarliestAfter410() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"tail", "--url", "http://127.0.0.1:" + app.port(), "--from", "5",
                "--count", "2", "--timeout-ms", "1000"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("continuing from 100"), err.toString(StandardCharsets.UTF_8));
        String[] lines = out.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(2, lines.length, out.toString(StandardCharsets.UTF_8));
        JsonNode receipt = JSON.readTree(lines[0]).get("stream").asText().equals("receipts")
                ? JSON.readTree(lines[0]) : JSON.readTree(lines[1]);
        assertEquals(150, receipt.get("position").asLong());
        assertEquals(7, receipt.get("row").get("stream_id").asLong());
        assertEquals("@a:t", receipt.get("row").get("user_id").asText());
    }
}

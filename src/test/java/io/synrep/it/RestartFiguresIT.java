package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.cli.Relay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a restart costs: a relay process retaining 200,000 rows is stopped and started again on the same data
 * directory. It must serve again, replay exactly the retained rows (no more: the slot was confirmed up to the
 * horizon; no fewer: nothing is lost) and hand a reader holding the head token nothing new. Prints the figures.
 */
class RestartFiguresIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern CAUGHT_UP = Pattern.compile("caught up .* (\\d+) ms after start: (\\d+) transactions, (\\d+) rows replayed");
    static final Pattern REPLAYING = Pattern.compile(
            "replaying: (\\d+) rows in \\d+ transactions, \\d+ rows/s, \\d+ bytes of WAL left to ");
    static final int TRANSACTIONS = 200;
    static final int ROWS_PER_TRANSACTION = 1_000;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void restartReplaysExactlyTheRetainedRows() throws Exception {
        String url = TestPostgres.freshDatabase("restartfig");
        List<String> args = List.of("--pg-url", url, "--listen", "127.0.0.1:0", "--slot", "restartfig",
                "--data-dir", Files.createTempDirectory("restartfig").toString(), "--heartbeat", "200ms");
        long head;
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), args);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            for (int t = 0; t < TRANSACTIONS; t++) {
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) SELECT g, '@u" + t
                        + ":t', 'D' || g FROM generate_series(" + (t * ROWS_PER_TRANSACTION + 1) + ", "
                        + ((t + 1) * ROWS_PER_TRANSACTION) + ") g");
            }
            head = drain(relay.base(), "-1", TRANSACTIONS * ROWS_PER_TRANSACTION); // the last row's position
        } // SIGTERM: a clean stop

        long started = System.nanoTime();
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), args)) {
            long serving = (System.nanoTime() - started) / 1_000_000;
            // a reader asking for "now" while the relay still replays skips the history all the same
            JsonNode now = get(relay.base() + "/_synapse/replication?device_lists=now&timeout=0");
            assertTrue(now.path("device_lists").path("position").asLong() >= head, now.toString());
            assertTrue(now.path("device_lists").path("rows").isEmpty(), "no old rows for a now reader: " + now);
            // the reader holding the old head gets nothing again; one holding -1 gets all retained rows once
            JsonNode none = get(relay.base() + "/_synapse/replication?device_lists=" + head + "&timeout=1000");
            assertTrue(none.path("device_lists").path("rows").isMissingNode()
                    || none.path("device_lists").path("rows").isEmpty(), none.toString());
            long replayedLast = drain(relay.base(), "-1", TRANSACTIONS * ROWS_PER_TRANSACTION);
            assertEquals(head, replayedLast, "the replay rebuilds the same positions");
            Matcher m = awaitCaughtUp(relay);
            long caughtUp = Long.parseLong(m.group(1));
            // a replay longer than the progress interval reports its rate and what is left while it runs
            Matcher progress = REPLAYING.matcher(relay.output());
            int lines = 0;
            while (progress.find()) {
                lines++;
                assertTrue(Long.parseLong(progress.group(1)) <= (long) TRANSACTIONS * ROWS_PER_TRANSACTION);
            }
            assertTrue(caughtUp < 2 * Relay.REPLAY_PROGRESS_NANOS / 1_000_000 || lines >= 1,
                    "replay progress lines while catching up for " + caughtUp + " ms: " + relay.output());
            long replayedRows = Long.parseLong(m.group(3));
            assertEquals((long) TRANSACTIONS * ROWS_PER_TRANSACTION, replayedRows,
                    "exactly the retained rows are replayed");
            System.out.printf("FIGURES restart: %d retained rows in %d transactions; process start to serving %d ms; "
                    + "caught up (replayed %d rows) %d ms after the relay started (%.0f rows/s)%n",
                    TRANSACTIONS * ROWS_PER_TRANSACTION, TRANSACTIONS, serving, replayedRows, caughtUp,
                    replayedRows * 1000.0 / Math.max(1, caughtUp));
        }
    }

    private static Matcher awaitCaughtUp(RelayProcess relay) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = CAUGHT_UP.matcher(relay.output());
            if (m.find()) {
                return m;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no caught-up line: " + relay.output());
    }

    /**
     * Reads the device_lists stream from {@code from} until {@code expected} rows arrived; returns the last row's
     * position (not the resume token: heartbeats and the relay's logical messages may move that past the rows).
     */
    private long drain(String base, String from, int expected) throws Exception {
        String token = from;
        int rows = 0;
        long last = -1;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (rows < expected) {
            assertTrue(System.nanoTime() < deadline, "only " + rows + " of " + expected + " rows arrived");
            JsonNode body = get(base + "/_synapse/replication?device_lists=" + token + "&limit=10000&timeout=1000");
            JsonNode s = body.path("device_lists");
            if (s.isMissingNode()) {
                continue;
            }
            for (JsonNode row : s.path("rows")) {
                last = row.path(0).asLong();
                rows++;
            }
            token = s.path("position").asText();
        }
        assertEquals(expected, rows, "no row twice");
        return last;
    }

    private JsonNode get(String uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}

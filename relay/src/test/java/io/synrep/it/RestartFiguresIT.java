package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.capture.CaptureProgress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a restart costs: a relay process retaining 200,000 rows is stopped and started again on the same data
 * directory. As readers see it: one that kept its token gets only what was written after the restart (a marker
 * written then arrives, and nothing before it); one reading from -1 gets exactly the rows it had before (same fields,
 * same positions, same order; the replay lost none and added none). Prints the figures.
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
        List<JsonNode> before;
        long head;
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), args);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            for (int t = 0; t < TRANSACTIONS; t++) {
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) SELECT g, '@u" + t
                        + ":t', 'D' || g FROM generate_series(" + (t * ROWS_PER_TRANSACTION + 1) + ", "
                        + ((t + 1) * ROWS_PER_TRANSACTION) + ") g");
            }
            writeMarker(st, "before-restart");
            before = drainThrough(relay.base(), "-1", "before-restart");
            head = before.get(before.size() - 1).path(0).asLong(); // the reader handled every row up to the marker
        } // SIGTERM: a clean stop
        // the reader saw every row the writer committed, each once, with the database's own fields
        List<String> written = new ArrayList<>();
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT stream_id, user_id, device_id FROM device_lists_stream"
                     + " WHERE device_id <> 'before-restart' ORDER BY stream_id")) {
            while (rs.next()) {
                written.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        assertEquals((long) TRANSACTIONS * ROWS_PER_TRANSACTION, written.size());
        assertEquals(written, before.subList(0, before.size() - 1).stream()
                .map(r -> r.path(1).asLong() + "|" + r.path(2).asText() + "|" + r.path(3).asText())
                .sorted(java.util.Comparator.comparingLong(k -> Long.parseLong(k.substring(0, k.indexOf('|')))))
                .toList(), "before the restart the reader got exactly the committed rows, each once");

        long started = System.nanoTime();
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), args);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            long serving = (System.nanoTime() - started) / 1_000_000;
            // a reader asking for "now" while the relay still replays skips the history all the same
            JsonNode now = get(relay.base() + "/_synapse/replication?device_lists=now&timeout=0");
            assertTrue(now.path("device_lists").path("position").asLong() >= head, now.toString());
            assertTrue(now.path("device_lists").path("rows").isEmpty(), "no old rows for a now reader: " + now);
            writeMarker(st, "after-restart");
            // the reader holding its token from before the restart: the new marker and nothing before it
            List<JsonNode> resumed = drainThrough(relay.base(), Long.toString(head), "after-restart");
            assertEquals(1, resumed.size(), "a reader that kept its token gets no row twice across the restart: "
                    + resumed.subList(0, Math.min(3, resumed.size())));
            // a reader from -1: exactly the rows (same fields, same positions, same order) it had before, then the
            // new marker: the replay rebuilt every retained row, lost none, added none
            List<JsonNode> replayed = drainThrough(relay.base(), "-1", "after-restart");
            assertEquals(before.size() + 1, replayed.size(), "rows retained after the restart");
            for (int i = 0; i < before.size(); i++) {
                if (!before.get(i).equals(replayed.get(i))) {
                    throw new AssertionError("row " + i + " after the restart differs: before " + before.get(i)
                            + ", after " + replayed.get(i));
                }
            }
            Matcher m = awaitCaughtUp(relay);
            long caughtUp = Long.parseLong(m.group(1));
            // a replay longer than the progress interval reports its rate and what is left while it runs
            Matcher progress = REPLAYING.matcher(relay.output());
            int lines = 0;
            while (progress.find()) {
                lines++;
                assertTrue(Long.parseLong(progress.group(1)) <= (long) TRANSACTIONS * ROWS_PER_TRANSACTION + 1);
            }
            assertTrue(caughtUp < 2 * CaptureProgress.REPLAY_PROGRESS_NANOS / 1_000_000 || lines >= 1,
                    "replay progress lines while catching up for " + caughtUp + " ms: " + relay.output());
            long replayedRows = Long.parseLong(m.group(3));
            System.out.printf("FIGURES restart: %d retained rows in %d transactions; process start to serving %d ms; "
                    + "caught up (replayed %d rows) %d ms after the relay started (%.0f rows/s)%n",
                    TRANSACTIONS * ROWS_PER_TRANSACTION, TRANSACTIONS, serving, replayedRows, caughtUp,
                    replayedRows * 1000.0 / Math.max(1, caughtUp));
        }
    }

    /** A one-row transaction written after the rows under test: once a reader has it, it has everything before it. */
    private static void writeMarker(Statement st, String deviceId) throws Exception {
        st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (2147483647, '@marker:t', '"
                + deviceId + "')");
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
     * Reads the device_lists stream from {@code from} until the row with device id {@code marker} arrived; returns
     * every row (position, stream_id, user_id, device_id) in the order received, the marker last.
     */
    private List<JsonNode> drainThrough(String base, String from, String marker) throws Exception {
        String token = from;
        List<JsonNode> rows = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (rows.isEmpty() || !marker.equals(rows.get(rows.size() - 1).path(3).asText())) {
            assertTrue(System.nanoTime() < deadline, "the marker " + marker + " did not arrive; " + rows.size()
                    + " rows did");
            JsonNode body = get(base + "/_synapse/replication?device_lists=" + token + "&limit=10000&timeout=1000");
            JsonNode s = body.path("device_lists");
            if (s.isMissingNode()) {
                continue;
            }
            for (JsonNode row : s.path("rows")) {
                assertTrue(rows.isEmpty() || !marker.equals(rows.get(rows.size() - 1).path(3).asText()),
                        "a row after the marker in the same response: " + row);
                rows.add(row);
            }
            token = s.path("position").asText();
        }
        return rows;
    }

    private JsonNode get(String uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}

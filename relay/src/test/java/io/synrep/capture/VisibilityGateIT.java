package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.it.TestPostgres;
import io.synrep.log.Page;
import io.synrep.log.StreamLog;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import io.synrep.streams.StreamRule;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Visible before published, deterministically: real PostgreSQL, real Debezium capture, the real log and endpoint, with
 * the {@link VisibilityGate}'s snapshots passed through a probe ({@link HeldBack}) that keeps one committed
 * transaction listed as running, as PostgreSQL lists it between flushing its commit record and making it visible.
 *
 * <p>While the probe holds the transaction back, and the gate has asked about it at least twice (so capture has
 * decoded its commit, and a gate that let it through would already have done so), neither the log nor the endpoint
 * (at once, or to a request parked before the commit) serves its row. Once the probe lets it through, the row is
 * served, at a position above everything served before.
 */
class VisibilityGateIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCommittedTransactionIsPublishedOnlyOnceNewSnapshotsShowIt() throws Exception {
        String url = TestPostgres.freshDatabase("vis");
        String slot = "vis_" + ProcessHandle.current().pid() + "_" + (System.nanoTime() % 100_000);
        CaptureConfig config = new CaptureConfig(url, null, null, slot, slot, Duration.ofMillis(200),
                Duration.ofMillis(10));
        Catalog catalog = Catalog.builtin();
        HeldBack probe = new HeldBack();
        Path stateDir = Files.createTempDirectory("synrep-visibility");
        SlotSetup.Prepared prepared = SlotSetup.prepare(config, catalog, null, null, true);
        StreamLog log = new StreamLog(catalog.streamNames(), RetentionConfig.defaults(), InstantSource.system());
        log.start(prepared.horizon(), prepared.head());
        StateKeeper keeper = new StateKeeper(new FileStateStore(stateDir), prepared.state(), log::horizon);
        keeper.replace(prepared.state());
        Capture capture = new Capture(config, prepared.publications().streamed(), catalog, log, keeper, () -> { },
                64 * 1024, probe);
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (StreamRule r : catalog.rules().values()) {
            fields.put(r.name(), r.fields());
        }
        Javalin app = HttpApi.create(log, fields, HttpConfig.defaults().withListen("127.0.0.1", 0),
                status(capture, prepared.epoch()));
        capture.start();
        app.start();
        try (Connection writer = TestPostgres.connect(url)) {
            awaitStreaming(capture);
            String base = "http://127.0.0.1:" + app.port() + "/_synapse/replication";

            // the pipeline works with the probe open: a first transaction is served
            insertEvent(writer, "$before");
            long before = awaitServed(base, "-1", "$before");

            // a reader parked after it, before the held transaction is written
            CompletableFuture<HttpResponse<String>> parked = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(
                    base + "?events=" + before + "&timeout=60000")).timeout(Duration.ofSeconds(90)).build(),
                    HttpResponse.BodyHandlers.ofString());
            awaitParked(base, before);

            // the transaction under test: committed (and really visible), but listed as running by the probe
            long xid;
            long insertedAt;
            writer.setAutoCommit(false);
            try (Statement st = writer.createStatement();
                 ResultSet rs = st.executeQuery("SELECT txid_current(), pg_current_wal_lsn()::text")) {
                rs.next();
                xid = rs.getLong(1);
                insertedAt = Position.parseLsn(rs.getString(2));
            }
            probe.holdBack(xid);
            insertRow(writer, "$held");
            writer.commit();
            writer.setAutoCommit(true);

            // capture decodes the commit and the gate asks; it must keep asking, publishing nothing meanwhile
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (probe.heldAnswers() < 2) {
                assertEquals(List.of(), eventIds(log, before),
                        "the row was published while new snapshots still list its transaction as running");
                assertTrue(System.nanoTime() < deadline, "the gate never asked about the held transaction");
                Thread.sleep(2);
            }
            // the gate has asked again after a "running" answer: it has decoded the commit and is holding the batch
            long headWhileHeld = log.head();
            assertEquals(List.of(), eventIds(log, before),
                    "the log holds the row while new snapshots still list its transaction as running");
            JsonNode now = JSON.readTree(get(base + "?events=" + before + "&timeout=0").body());
            assertEquals(List.of(), eventIds(now),
                    "the endpoint serves the row while new snapshots still list its transaction as running: " + now);
            assertFalse(parked.isDone(), "the parked reader was answered while the transaction was held back: "
                    + (parked.isDone() ? parked.join().body() : ""));
            // a keepalive or heartbeat may carry the WAL end from before the insert (insertedAt itself); the held
            // transaction's commit lies beyond it, so the head must not pass insertedAt
            assertTrue(headWhileHeld <= insertedAt, "the head " + headWhileHeld
                    + " moved past the held transaction's start (" + insertedAt + ")");

            // visible now: the held row is published, to the parked reader and to a new one
            int heldAnswers = probe.heldAnswers();
            probe.release();
            HttpResponse<String> woken = parked.get(30, TimeUnit.SECONDS);
            assertEquals(200, woken.statusCode(), woken.body());
            JsonNode page = JSON.readTree(woken.body());
            assertEquals(List.of("$held"), eventIds(page), woken.body());
            long position = page.path("events").path("rows").get(0).get(0).asLong();
            assertTrue(position > insertedAt && position > before && position > headWhileHeld,
                    "the held row's position " + position + " follows everything served before");
            JsonNode again = JSON.readTree(get(base + "?events=" + before + "&timeout=0").body());
            assertEquals(List.of("$held"), eventIds(again));
            assertEquals(List.of("$held"), eventIds(log, before));
            System.out.printf("FIGURES visibility: xid %d held back for %d snapshot reads; published at %s after "
                    + "release (head while held %s)%n", xid, heldAnswers, Position.formatLsn(position),
                    Position.formatLsn(headWhileHeld));
        } finally {
            app.stop();
            capture.close();
            keeper.close();
            try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('" + slot + "') FROM pg_replication_slots "
                        + "WHERE slot_name = '" + slot + "' AND NOT active");
            }
        }
    }

    /**
     * The gate's view of the database: while a transaction id is held back, every snapshot lists it as running (and
     * keeps {@code xmin} at or below it), as PostgreSQL does before the committing backend makes it visible.
     */
    static final class HeldBack implements UnaryOperator<String> {
        private volatile long held = -1;
        private final AtomicInteger heldAnswers = new AtomicInteger();

        void holdBack(long xid) {
            held = xid;
        }

        void release() {
            held = -1;
        }

        /** Snapshots answered with the held transaction listed as running. */
        int heldAnswers() {
            return heldAnswers.get();
        }

        @Override
        public String apply(String snapshot) {
            long x = held;
            if (x < 0) {
                return snapshot;
            }
            String[] parts = snapshot.split(":", -1);
            long xmin = Math.min(Long.parseLong(parts[0]), x);
            long xmax = Math.max(Long.parseLong(parts[1]), x + 1);
            TreeSet<Long> running = new TreeSet<>();
            if (parts.length > 2 && !parts[2].isEmpty()) {
                for (String r : parts[2].split(",")) {
                    running.add(Long.parseLong(r));
                }
            }
            running.add(x);
            heldAnswers.incrementAndGet();
            StringBuilder sb = new StringBuilder().append(xmin).append(':').append(xmax).append(':');
            String sep = "";
            for (long r : running) {
                sb.append(sep).append(r);
                sep = ",";
            }
            return sb.toString();
        }
    }

    private static RelayStatus status(Capture capture, String epoch) {
        return new RelayStatus() {
            @Override
            public boolean streaming() {
                return capture.state() == Capture.State.STREAMING;
            }

            @Override
            public String epoch() {
                return epoch;
            }

            @Override
            public OptionalLong writerPosition(long atLeast) {
                return OptionalLong.of(Long.MAX_VALUE);
            }

            @Override
            public String describe() {
                return "visibility test";
            }
        };
    }

    private static void awaitStreaming(Capture capture) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (capture.state() != Capture.State.STREAMING) {
            assertTrue(System.nanoTime() < deadline, "capture did not start: " + capture.failure());
            Thread.sleep(20);
        }
    }

    /** Polls until the endpoint serves {@code eventId} after {@code from}; returns the position it was served at. */
    private static long awaitServed(String base, String from, String eventId) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            JsonNode body = JSON.readTree(get(base + "?events=" + from + "&timeout=1000").body());
            for (JsonNode row : body.path("events").path("rows")) {
                if (eventId.equals(row.get(2).asText())) {
                    return row.get(0).asLong();
                }
            }
            assertTrue(System.nanoTime() < deadline, eventId + " was not served within 30 s");
        }
    }

    /** Waits until the endpoint reports the parked request (an event, not a pause). */
    private static void awaitParked(String base, long from) throws Exception {
        String health = base.replace("/_synapse/replication", "/health");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (JSON.readTree(get(health).body()).path("waiting").asInt() < 1) {
            assertTrue(System.nanoTime() < deadline, "the request after " + from + " did not park");
            Thread.sleep(5);
        }
    }

    /** The event ids the log holds after {@code after} (rows are JSON tails: {@code ,stream_ordering,event_id,...}). */
    private static List<String> eventIds(StreamLog log, long after) throws Exception {
        Page page = log.read(Map.of("events", after), 1000).pages().get("events");
        List<String> ids = new ArrayList<>();
        if (page != null) {
            for (int i = 0; i < page.count(); i++) {
                JsonNode row = JSON.readTree("[" + page.positionAt(i)
                        + new String(page.tailAt(i), StandardCharsets.UTF_8) + "]");
                ids.add(row.get(2).asText());
            }
        }
        return ids;
    }

    private static List<String> eventIds(JsonNode body) {
        List<String> ids = new ArrayList<>();
        for (JsonNode row : body.path("events").path("rows")) {
            ids.add(row.get(2).asText());
        }
        return ids;
    }

    private static HttpResponse<String> get(String u) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void insertEvent(Connection c, String eventId) throws SQLException {
        insertRow(c, eventId);
    }

    private static void insertRow(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ev = c.prepareStatement("INSERT INTO events (topological_ordering, event_id, type, "
                + "room_id, content, processed, outlier, depth, origin_server_ts, received_ts, sender, stream_ordering) "
                + "VALUES (1, ?, 'm.room.message', '!vis:test', '{}', true, false, 1, 0, 0, '@v:test', "
                + "nextval('events_stream_seq'))")) {
            ev.setString(1, eventId);
            ev.executeUpdate();
        }
    }
}

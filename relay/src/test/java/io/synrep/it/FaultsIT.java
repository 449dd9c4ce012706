package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.capture.Capture;
import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.Relay;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults of the writer's database under a running relay, with real PostgreSQL and real HTTP:
 * <ul>
 *   <li>PostgreSQL is stopped in the middle of a write burst and started again on the same data directory and port;
 *       a reader that keeps polling the (still running) relay ends with exactly the rows the database holds, each
 *       once, in the same epoch;</li>
 *   <li>the relay's slot is dropped by another session: the relay recreates it under a new epoch, readers of the old
 *       epoch get 410 with {@code earliest}, and rows written afterwards reach a reader that resynced.</li>
 * </ul>
 *
 * <p>Every writer transaction inserts one {@code events} row (event_id {@code $TAG}) and one
 * {@code device_lists_stream} row (device_id {@code TAG}), so the two streams must deliver each tag once, under one
 * shared position.
 */
class FaultsIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String EPOCH_HEADER = io.synrep.protocol.Endpoint.EPOCH_HEADER;
    static final List<String> STREAMS = List.of("events", "device_lists");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    // ------------------------------------------------------------------------------------------------------------
    // 1. PostgreSQL restart under load
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void postgresRestartUnderLoadLosesNothing() throws Exception {
        Path root = Files.createTempDirectory("synrep-faults-pg");
        Path pgData = root.resolve("pgdata");
        Path stateDir = Files.createDirectories(root.resolve("state"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        AtomicReference<EmbeddedDatabase> db = new AtomicReference<>(EmbeddedDatabase.start(pgData, port));
        Writers writers = null;
        Reader reader = null;
        StateTrace trace = null;
        try {
            db.get().applySchema();
            String url = db.get().jdbcUrl();
            try (Relay relay = RelayFixture.start(url, "faults_restart", RetentionConfig.defaults(),
                    StateConfig.inDirectory(stateDir))) {
                RelayFixture.awaitStreaming(relay);
                String epoch = relay.epoch();
                reader = new Reader(RelayFixture.base(relay), "-1", null);
                reader.start();
                trace = new StateTrace(relay);
                writers = new Writers(url, 2);
                writers.start();

                // load first, then the outage
                Writers w = writers;
                Reader rd = reader;
                await("writers to commit 1000 transactions and the reader to see rows",
                        () -> w.committedCount() >= 1000 && rd.rowCount("events") > 0, Duration.ofSeconds(20), rd);
                long committedBeforeStop = writers.committedCount();
                long stoppedAt = System.nanoTime();
                note("stopping PostgreSQL");
                db.get().close();
                long downAt = System.nanoTime();
                note("PostgreSQL stopped");
                // the outage as probes see it: capture reconnecting (it stays so until PostgreSQL is back, because
                // every attempt's slot re-check fails), and /health and /health/ready answering 503 meanwhile
                await("capture to notice the outage", () -> relay.capture().state() == Capture.State.RECONNECTING,
                        Duration.ofSeconds(30), rd);
                String base = RelayFixture.base(relay);
                HttpResponse<String> health = get(base + "/health");
                assertEquals(503, health.statusCode(), "/health during the capture outage: " + health.body());
                assertTrue(JSON.readTree(health.body()).get("detail").asText().startsWith("capture reconnecting"),
                        health.body());
                HttpResponse<String> ready = get(base + "/health/ready");
                assertEquals(503, ready.statusCode(), "/health/ready during the capture outage: " + ready.body());
                assertEquals(false, JSON.readTree(ready.body()).get("streaming").asBoolean(), ready.body());
                assertEquals(0, relay.capture().restarts(), "no reconnect while PostgreSQL is down");
                Thread.sleep(1000); // a few failed attempts (their slot re-check cannot reach PostgreSQL)
                note("starting PostgreSQL");
                db.set(EmbeddedDatabase.start(pgData, port));
                long upAt = System.nanoTime();
                note("PostgreSQL up");
                assertEquals(port, db.get().port());

                // keep writing until the relay delivers rows committed after the restart, and a little longer
                await("a row committed after PostgreSQL came back to reach the reader",
                        () -> rd.firstReceivedAmong(w.committedAfter(upAt)) > 0, Duration.ofSeconds(40), rd);
                Thread.sleep(1000);
                writers.stop();
                reader.assertHealthy();

                // ambiguous commits (the commit call threw): the database says whether they happened
                Map<String, Long> dbEvents = query(url, "SELECT event_id, stream_ordering FROM events");
                Map<String, Long> dbDevices = query(url, "SELECT device_id, stream_id FROM device_lists_stream");
                Set<String> dbTags = new TreeSet<>();
                dbEvents.keySet().forEach(e -> dbTags.add(e.substring(1)));
                assertEquals(dbTags, new TreeSet<>(dbDevices.keySet()), "each transaction wrote both rows or neither");
                Set<String> expected = new TreeSet<>(writers.committed());
                int ambiguousCommitted = 0;
                for (String tag : writers.ambiguous()) {
                    if (dbTags.contains(tag)) {
                        expected.add(tag);
                        ambiguousCommitted++;
                    }
                }
                assertEquals(expected, dbTags, "the database holds exactly the transactions whose commit returned, "
                        + "plus those ambiguous commits that took effect");

                // the reader gets every row: a marker transaction committed after every write under test has
                // arrived on both streams, so everything committed before it has (rows come in commit order); a row
                // delivered twice or one that was never committed would be among what came before it
                try (Connection c = DriverManager.getConnection(url)) {
                    writeTransaction(c, "marker", "@marker:faults");
                }
                await("the marker transaction to reach the reader after all " + expected.size() + " transactions",
                        () -> rd.keys("events").contains("$marker") && rd.keys("device_lists").contains("marker"),
                        Duration.ofSeconds(40), rd);
                reader.close();
                reader.assertHealthy();

                List<Reader.Row> events = beforeMarker(reader.rows("events"), "$marker");
                List<Reader.Row> devices = beforeMarker(reader.rows("device_lists"), "marker");
                Map<String, Long> gotEvents = new HashMap<>();
                Map<String, Long> eventPos = new HashMap<>();
                for (Reader.Row r : events) {
                    assertEquals(null, gotEvents.put(r.key(), r.id()), "event delivered twice: " + r);
                    eventPos.put(r.key().substring(1), r.position());
                }
                Map<String, Long> gotDevices = new HashMap<>();
                Map<String, Long> devicePos = new HashMap<>();
                for (Reader.Row r : devices) {
                    assertEquals(null, gotDevices.put(r.key(), r.id()), "device_lists row delivered twice: " + r);
                    devicePos.put(r.key(), r.position());
                }
                assertEquals(new TreeMapView(dbEvents), new TreeMapView(gotEvents),
                        "events: exactly the database's (event_id, stream_ordering), each once");
                assertEquals(new TreeMapView(dbDevices), new TreeMapView(gotDevices),
                        "device_lists: exactly the database's (device_id, stream_id), each once");
                // one transaction, one position; distinct transactions, distinct positions
                assertEquals(eventPos, devicePos, "both rows of a transaction carry its commit position");
                assertEquals(eventPos.size(), new HashSet<>(eventPos.values()).size(),
                        "distinct transactions have distinct positions");
                // stream_ordering (nextval) order need not match commit order across writers, but within one writer
                // (one connection, sequential transactions) it must
                for (int i = 0; i < 2; i++) {
                    String prefix = "w" + i + "-";
                    long last = Long.MIN_VALUE;
                    for (Reader.Row r : events) {
                        if (r.key().startsWith("$" + prefix)) {
                            long n = Long.parseLong(r.key().substring(prefix.length() + 1));
                            assertTrue(n > last, "writer " + i + "'s transactions arrived out of commit order: " + r);
                            last = n;
                        }
                    }
                }

                // "the relay reconnects ... and resumes": once, when PostgreSQL is back (attempts whose slot re-check
                // failed do not start an engine)
                assertEquals(1, relay.capture().restarts(), "capture reconnected once: " + trace.changes());
                HttpResponse<String> healthAfter = get(RelayFixture.base(relay) + "/health");
                assertEquals(200, healthAfter.statusCode(), "/health after the outage: " + healthAfter.body());
                assertEquals(epoch, relay.epoch(), "same slot, same WAL history: same epoch");
                assertEquals(Set.of(epoch), reader.epochs(), "every response carried the one epoch");
                assertEquals(Capture.State.STREAMING, relay.capture().state());
                assertEquals(List.of(), writers.unexpectedErrors(), "writers met only connection errors");
                assertTrue(writers.outageErrors() > 0, "the writers saw the outage (else PostgreSQL did not stop under load)");
                assertTrue(writers.committedAfter(upAt).size() > 0, "writes continued after the restart");
                assertTrue(committedBeforeStop >= 1000);

                long noticedMs = (trace.firstReconnecting - stoppedAt) / 1_000_000;
                long firstNewMs = (reader.firstReceivedAmong(writers.committedAfter(upAt)) - upAt) / 1_000_000;
                long firstAnyMs = (reader.firstReceivedAfter(upAt) - upAt) / 1_000_000;
                System.out.printf("FIGURES postgresRestart: transactions committed %d (rows %d), ambiguous commits %d "
                                + "(%d took effect), writer errors during outage %d, stop took %d ms, stopped-to-up %d ms, "
                                + "capture noticed the outage %d ms after the stop began (%s), "
                                + "capture reconnects %d, duplicates skipped %d, 503s %d, responses %d, "
                                + "first row after PostgreSQL up %d ms, first row committed after up received %d ms after up%n",
                        expected.size(), 2L * expected.size(), writers.ambiguous().size(), ambiguousCommitted,
                        writers.outageErrors(), (downAt - stoppedAt) / 1_000_000, (upAt - downAt) / 1_000_000,
                        noticedMs, trace.firstReconnecting > upAt ? "after PostgreSQL was back up" : "while it was down",
                        relay.capture().restarts(), relay.capture().duplicates(), reader.unavailable(),
                        reader.responses(), firstAnyMs, firstNewMs);
                System.out.println("FaultsIT capture states: " + trace.close() + "; writer errors (first 5): "
                        + writers.errorSamples());
            }
        } finally {
            if (trace != null) {
                trace.close();
            }
            if (writers != null) {
                writers.stop();
            }
            if (reader != null) {
                reader.close();
            }
            db.get().close();
            deleteRecursively(root);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // 2. A dropped slot
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void droppedSlotIsRecreatedWithNewEpoch() throws Exception {
        String url = TestPostgres.freshDatabase("fdrop");
        String slot = "fdrop_" + ProcessHandle.current().pid() + "_" + (System.nanoTime() % 100_000);
        Path stateDir = Files.createTempDirectory("synrep-faults-drop");
        PrintStream originalErr = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new Tee(originalErr, logs), true));
        try (Relay relay = RelayFixture.start(url, slot, RetentionConfig.defaults(), StateConfig.inDirectory(stateDir));
             Connection writer = TestPostgres.connect(url)) {
            RelayFixture.awaitStreaming(relay);
            String base = RelayFixture.base(relay);
            for (int i = 1; i <= 5; i++) {
                writeTransaction(writer, "a" + i, "@a:faults");
            }
            Reader before = new Reader(base, "-1", null);
            before.pollUntil(() -> before.rowCount("events") >= 5 && before.rowCount("device_lists") >= 5,
                    Duration.ofSeconds(20));
            assertEquals(List.of("$a1", "$a2", "$a3", "$a4", "$a5"), before.keys("events"));
            String oldEpoch = before.lastEpoch();
            assertEquals(relay.epoch(), oldEpoch);
            long oldToken = Long.parseLong(before.token("events"));
            long restartsBefore = relay.capture().restarts();

            // a reader parked at the old token while the slot goes away
            java.util.concurrent.CompletableFuture<HttpResponse<String>> parked = HTTP.sendAsync(HttpRequest.newBuilder(
                    URI.create(base + "/_synapse/replication?events=" + oldToken + "&device_lists=" + oldToken
                            + "&timeout=30000")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(300);
            assertTrue(!parked.isDone(), "the request parked (nothing new to send)");

            // another session terminates the relay's walsender and drops the slot before the relay reconnects
            long dropStarted = System.nanoTime();
            int attempts = dropSlot(url, slot);
            long droppedAt = System.nanoTime();

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (relay.epoch().equals(oldEpoch)) {
                assertTrue(System.nanoTime() < deadline, "epoch did not change within 30 s; capture "
                        + relay.capture().state() + ": " + relay.capture().failure());
                Thread.sleep(20);
            }
            long newEpochAt = System.nanoTime();
            String newEpoch = relay.epoch();
            assertNotEquals(oldEpoch, newEpoch);

            // the old epoch named explicitly: 410 with earliest
            HttpResponse<String> byEpoch = get(base + "/_synapse/replication?events=" + oldToken + "&timeout=0&epoch="
                    + URLEncoder.encode(oldEpoch, StandardCharsets.UTF_8));
            assertEquals(410, byEpoch.statusCode(), byEpoch.body());
            JsonNode e1 = JSON.readTree(byEpoch.body());
            assertEquals("M_POSITION_TOO_OLD", e1.get("errcode").asText(), byEpoch.body());
            assertTrue(e1.has("earliest") && e1.get("earliest").isIntegralNumber(), byEpoch.body());
            long earliest = e1.get("earliest").asLong();
            assertEquals(newEpoch, byEpoch.headers().firstValue(EPOCH_HEADER).orElse(null));
            assertTrue(earliest > oldToken, "the new history starts after the old token: " + earliest + " <= " + oldToken);

            // the old token alone: 410 too
            HttpResponse<String> byToken = get(base + "/_synapse/replication?events=" + oldToken + "&timeout=0");
            assertEquals(410, byToken.statusCode(), byToken.body());
            JsonNode e2 = JSON.readTree(byToken.body());
            assertEquals("M_POSITION_TOO_OLD", e2.get("errcode").asText(), byToken.body());
            assertEquals(earliest, e2.get("earliest").asLong(), byToken.body());
            assertEquals(newEpoch, byToken.headers().firstValue(EPOCH_HEADER).orElse(null));

            // the parked request is answered at the epoch change, with 410 (not held to its timeout, not 200)
            HttpResponse<String> woken = parked.get(10, TimeUnit.SECONDS);
            long parkedAnsweredMs = (System.nanoTime() - dropStarted) / 1_000_000;
            assertEquals(410, woken.statusCode(), woken.body());
            JsonNode e3 = JSON.readTree(woken.body());
            assertEquals("M_POSITION_TOO_OLD", e3.get("errcode").asText(), woken.body());
            assertEquals(earliest, e3.get("earliest").asLong(), woken.body());
            String parkedEpochHeader = woken.headers().firstValue(EPOCH_HEADER).orElse(null);
            assertEquals(newEpoch, parkedEpochHeader, "the 410 tells the parked reader the epoch it must resync to");

            // the slot exists again
            assertTrue(slotExists(url, slot), "slot " + slot + " was recreated");

            // rows written in the new epoch reach readers that resynced, from earliest and from -1
            for (int i = 1; i <= 5; i++) {
                writeTransaction(writer, "b" + i, "@b:faults");
            }
            long wroteB = System.nanoTime();
            // b6 is the marker: once it has arrived on both streams, everything committed before it has too
            writeTransaction(writer, "b6", "@b:faults");
            Reader fromEarliest = new Reader(base, Long.toString(earliest), newEpoch);
            fromEarliest.pollUntil(() -> fromEarliest.keys("events").contains("$b6")
                    && fromEarliest.keys("device_lists").contains("b6"), Duration.ofSeconds(30));
            long receivedB = System.nanoTime();
            Reader fromOldest = new Reader(base, "-1", newEpoch);
            fromOldest.pollUntil(() -> fromOldest.keys("events").contains("$b6")
                    && fromOldest.keys("device_lists").contains("b6"), Duration.ofSeconds(10));
            List<String> b = List.of("$b1", "$b2", "$b3", "$b4", "$b5", "$b6");
            List<String> bDevices = List.of("b1", "b2", "b3", "b4", "b5", "b6");
            for (Reader r : List.of(fromEarliest, fromOldest)) {
                r.assertHealthy();
                assertEquals(b, r.keys("events"), "exactly the new epoch's rows");
                assertEquals(bDevices, r.keys("device_lists"));
                assertEquals(Set.of(newEpoch), r.epochs());
                for (Reader.Row row : r.rows("events")) {
                    assertTrue(row.position() > earliest, row + " after earliest " + earliest);
                }
            }
            assertEquals(newEpoch, relay.epoch(), "still the one new epoch");
            assertTrue(relay.capture().restarts() > restartsBefore, "capture reconnected");
            assertEquals(Capture.State.STREAMING, relay.capture().state());
            assertTrue(slotActive(url, slot), "the relay streams from the recreated slot");

            String log = logs.toString(StandardCharsets.UTF_8);
            assertTrue(log.contains("REPLICATION SLOT " + slot + " WAS DROPPED"), "WARN about the dropped slot in the log");
            assertTrue(log.contains("NEW EPOCH " + newEpoch), "WARN about the new epoch in the log");

            System.out.printf("FIGURES droppedSlot: drop took %d attempt(s) in %d ms, new epoch %d ms after the drop, "
                            + "capture reconnects %d, rows of the new epoch received %d ms after writing, old epoch %s, new "
                            + "epoch %s, earliest %d (old token %d), parked old-token request answered 410 %d ms after the "
                            + "drop began with %s epoch header%n",
                    attempts, (droppedAt - dropStarted) / 1_000_000, (newEpochAt - droppedAt) / 1_000_000,
                    relay.capture().restarts(), (receivedB - wroteB) / 1_000_000, oldEpoch, newEpoch, earliest, oldToken,
                    parkedAnsweredMs, newEpoch.equals(parkedEpochHeader) ? "the new"
                            : oldEpoch.equals(parkedEpochHeader) ? "the OLD" : "a missing/other (" + parkedEpochHeader + ")");
        } finally {
            System.setErr(originalErr);
            deleteRecursively(stateDir);
        }
    }

    /** Terminates the slot's walsender and drops the slot, in a tight loop until the drop succeeds. */
    static int dropSlot(String url, String slot) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int attempts = 0;
        SQLException last = null;
        try (Connection admin = TestPostgres.connect(url);
             PreparedStatement term = admin.prepareStatement("SELECT pg_terminate_backend(active_pid) "
                     + "FROM pg_replication_slots WHERE slot_name = ? AND active_pid IS NOT NULL");
             PreparedStatement drop = admin.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            term.setString(1, slot);
            drop.setString(1, slot);
            while (System.nanoTime() < deadline) {
                attempts++;
                term.executeQuery().close();
                try {
                    drop.executeQuery().close();
                    return attempts;
                } catch (SQLException e) {
                    // 55006: the slot is still active (the walsender has not exited yet, or the relay reconnected)
                    if (!"55006".equals(e.getSQLState())) {
                        throw e;
                    }
                    last = e;
                }
            }
        }
        throw new AssertionError("could not drop slot " + slot + " in 20 s (" + attempts + " attempts)", last);
    }

    static boolean slotExists(String url, String slot) throws SQLException {
        try (Connection c = TestPostgres.connect(url);
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    static boolean slotActive(String url, String slot) throws SQLException {
        try (Connection c = TestPostgres.connect(url);
             PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // helpers
    // ------------------------------------------------------------------------------------------------------------

    /** One writer transaction: an event {@code $TAG} and a device list change {@code TAG}, committed together. */
    static void writeTransaction(Connection c, String tag, String user) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            insertRows(c, tag, user);
            c.commit();
        } finally {
            c.setAutoCommit(auto);
        }
    }

    static void insertRows(Connection c, String tag, String user) throws SQLException {
        try (PreparedStatement ev = c.prepareStatement("INSERT INTO events (topological_ordering, event_id, type, "
                + "room_id, content, processed, outlier, depth, origin_server_ts, received_ts, sender, stream_ordering) "
                + "VALUES (1, ?, 'm.room.message', '!faults:test', '{}', true, false, 1, ?, ?, ?, "
                + "nextval('events_stream_seq'))");
             PreparedStatement dl = c.prepareStatement("INSERT INTO device_lists_stream (stream_id, user_id, device_id) "
                     + "VALUES (nextval('device_lists_sequence'), ?, ?)")) {
            long now = System.currentTimeMillis();
            ev.setString(1, "$" + tag);
            ev.setLong(2, now);
            ev.setLong(3, now);
            ev.setString(4, user);
            ev.executeUpdate();
            dl.setString(1, user);
            dl.setString(2, tag);
            dl.executeUpdate();
        }
    }

    /**
     * The rows before the marker {@code key}, which must have arrived exactly once, as the last row: it was committed
     * after every other write, and the reader stopped once it had it.
     */
    static List<Reader.Row> beforeMarker(List<Reader.Row> rows, String key) {
        Reader.Row last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
        assertTrue(last != null && last.key().equals(key), "the marker " + key + " is the last row received: " + last);
        List<Reader.Row> before = rows.subList(0, rows.size() - 1);
        assertTrue(before.stream().noneMatch(r -> r.key().equals(key)), "the marker " + key + " arrived twice");
        return new ArrayList<>(before);
    }

    static Map<String, Long> query(String url, String sql) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                assertEquals(null, out.put(rs.getString(1), rs.getLong(2)), "duplicate key in the database: " + rs.getString(1));
            }
        }
        return out;
    }

    static HttpResponse<String> get(String u) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void await(String what, BooleanSupplier done, Duration within, Reader reader) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (reader != null) {
                reader.assertHealthy();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + within.toSeconds() + " s waiting for " + what
                        + (reader == null ? "" : "; reader has " + reader.counts()));
            }
            Thread.sleep(20);
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void note(String what) {
        System.out.println(java.time.LocalTime.now() + " FaultsIT: " + what);
    }

    /** Samples the capture state every 5 ms and records each change with its wall-clock time (diagnostics). */
    static final class StateTrace {
        private final List<String> changes = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stopped;
        /** When capture was first seen RECONNECTING (nanoTime), or -1. */
        volatile long firstReconnecting = -1;

        StateTrace(Relay relay) {
            thread = new Thread(() -> {
                Capture.State last = null;
                long restarts = -1;
                while (!stopped) {
                    Capture.State s = relay.capture().state();
                    long r = relay.capture().restarts();
                    if (s != last || r != restarts) {
                        if (s == Capture.State.RECONNECTING && firstReconnecting < 0) {
                            firstReconnecting = System.nanoTime();
                        }
                        synchronized (this) {
                            changes.add(java.time.LocalTime.now() + " " + s + " (restarts " + r + ")");
                        }
                        last = s;
                        restarts = r;
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "faults-state-trace");
            thread.setDaemon(true);
            thread.start();
        }

        synchronized List<String> changes() {
            return new ArrayList<>(changes);
        }

        List<String> close() throws InterruptedException {
            stopped = true;
            thread.join(1000);
            return changes();
        }
    }

    /** A sorted view of a map, so that assertion messages on mismatches are readable. */
    static final class TreeMapView extends java.util.TreeMap<String, Long> {
        TreeMapView(Map<String, Long> m) {
            super(m);
        }
    }

    /** Copies everything written to two streams (the log capture of the dropped-slot test). */
    static final class Tee extends OutputStream {
        private final OutputStream a;
        private final ByteArrayOutputStream b;

        Tee(OutputStream a, ByteArrayOutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            synchronized (b) {
                b.write(x);
            }
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            synchronized (b) {
                b.write(buf, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            a.flush();
        }
    }

    /**
     * Writer threads: each commits small transactions back to back on its own connection and records exactly which
     * committed. A commit that throws is ambiguous (the server may have committed before the connection broke); the
     * test asks the database afterwards. A failure before the commit call means the transaction did not commit.
     * Connection errors (PostgreSQL down) are retried every 50 ms.
     */
    static final class Writers {
        private final String url;
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean stopped;
        // guarded by this
        private final List<String> committed = new ArrayList<>();
        private final Map<String, Long> committedAt = new HashMap<>();
        private final List<String> ambiguous = new ArrayList<>();
        private long outageErrors;
        private final List<String> errorSamples = new ArrayList<>();
        private final List<String> unexpected = new ArrayList<>();

        Writers(String url, int count) {
            this.url = url;
            for (int i = 0; i < count; i++) {
                int id = i;
                Thread t = new Thread(() -> run(id), "faults-writer-" + i);
                t.setDaemon(true);
                threads.add(t);
            }
        }

        void start() {
            threads.forEach(Thread::start);
        }

        private void run(int id) {
            Connection c = null;
            long n = 0;
            String user = "@w" + id + ":faults";
            while (!stopped) {
                if (c == null) {
                    try {
                        c = DriverManager.getConnection(url);
                        c.setAutoCommit(false);
                    } catch (SQLException e) {
                        error(e);
                        c = null;
                        pause();
                        continue;
                    }
                }
                String tag = "w" + id + "-" + (++n);
                boolean committing = false;
                try {
                    insertRows(c, tag, user);
                    committing = true;
                    c.commit();
                    long at = System.nanoTime();
                    synchronized (this) {
                        committed.add(tag);
                        committedAt.put(tag, at);
                    }
                } catch (SQLException e) {
                    synchronized (this) {
                        if (committing) {
                            ambiguous.add(tag);
                        }
                    }
                    error(e);
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // broken anyway
                    }
                    c = null;
                    pause();
                }
            }
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // done
                }
            }
        }

        private synchronized void error(SQLException e) {
            outageErrors++;
            if (errorSamples.size() < 5) {
                errorSamples.add(e.getSQLState() + " " + e.getMessage());
            }
            // anything but a connection problem or the server shutting down is a test bug
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (!(state.startsWith("08") || state.startsWith("57P"))) {
                unexpected.add(state + " " + e.getMessage());
            }
        }

        private static void pause() {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() throws InterruptedException {
            stopped = true;
            for (Thread t : threads) {
                t.join(30_000);
            }
        }

        synchronized long committedCount() {
            return committed.size();
        }

        synchronized List<String> committed() {
            return new ArrayList<>(committed);
        }

        synchronized List<String> ambiguous() {
            return new ArrayList<>(ambiguous);
        }

        synchronized Set<String> committedAfter(long nanos) {
            Set<String> out = new HashSet<>();
            committedAt.forEach((tag, at) -> {
                if (at > nanos) {
                    out.add(tag);
                }
            });
            return out;
        }

        synchronized long outageErrors() {
            return outageErrors;
        }

        /** SQL errors other than connection loss and server shutdown/startup (a test bug if any). */
        synchronized List<String> unexpectedErrors() {
            return new ArrayList<>(unexpected);
        }

        synchronized List<String> errorSamples() {
            return new ArrayList<>(errorSamples);
        }
    }

    /**
     * A reader over real HTTP for {@code events} and {@code device_lists}, either on its own thread ({@link #start})
     * or driven by the test ({@link #pollUntil}). Checks every response as it arrives: status 200 (503 is tolerated
     * and retried: the relay may be reconnecting), the epoch header present, every row above the token it was asked
     * with, positions non-decreasing within a response and across responses, tokens never moving backwards. The
     * first violation is kept and reported by {@link #assertHealthy}.
     */
    static final class Reader implements AutoCloseable {
        record Row(long position, String key, long id, long receivedAt) {}

        private final String base;
        private final String epochParam;
        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stopped;
        // guarded by this
        private final Map<String, String> tokens = new LinkedHashMap<>();
        private final Map<String, List<Row>> rows = new LinkedHashMap<>();
        private final Set<String> epochs = new LinkedHashSet<>();
        private String lastEpoch;
        private int responses;
        private int unavailable;

        /** @param epoch sent as {@code epoch=} when not null */
        Reader(String base, String from, String epoch) {
            this.base = base;
            this.epochParam = epoch;
            for (String s : STREAMS) {
                tokens.put(s, from);
                rows.put(s, new ArrayList<>());
            }
            thread = new Thread(this::run, "faults-reader");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            try {
                while (!stopped) {
                    pollOnce(500);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        void pollUntil(BooleanSupplier done, Duration within) throws Exception {
            long deadline = System.nanoTime() + within.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out; reader has " + counts());
                }
                pollOnce(500);
            }
        }

        /** One request; 503 is counted and retried after a pause, anything else but 200 fails. */
        void pollOnce(long timeoutMs) throws IOException, InterruptedException {
            Map<String, String> sent;
            synchronized (this) {
                sent = new LinkedHashMap<>(tokens);
            }
            StringBuilder q = new StringBuilder(base).append("/_synapse/replication?limit=1000&timeout=").append(timeoutMs);
            sent.forEach((s, t) -> q.append('&').append(s).append('=').append(t));
            if (epochParam != null) {
                q.append("&epoch=").append(URLEncoder.encode(epochParam, StandardCharsets.UTF_8));
            }
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(q.toString()))
                    .timeout(Duration.ofMillis(timeoutMs + 30_000)).build(), HttpResponse.BodyHandlers.ofByteArray());
            long receivedAt = System.nanoTime();
            String body = new String(r.body(), StandardCharsets.UTF_8);
            String epoch = r.headers().firstValue(EPOCH_HEADER).orElse(null);
            if (epoch == null) {
                throw new AssertionError("HTTP " + r.statusCode() + " without " + EPOCH_HEADER + ": " + body);
            }
            if (r.statusCode() == 503) {
                synchronized (this) {
                    unavailable++;
                    epochs.add(epoch);
                }
                Thread.sleep(100);
                return;
            }
            if (r.statusCode() != 200) {
                throw new AssertionError("HTTP " + r.statusCode() + " for tokens " + sent + ": " + body);
            }
            JsonNode json = JSON.readTree(body);
            Map<String, List<Row>> got = new LinkedHashMap<>();
            Map<String, String> resume = new LinkedHashMap<>();
            synchronized (this) {
                for (Map.Entry<String, JsonNode> e : json.properties()) {
                    String stream = e.getKey();
                    if (!sent.containsKey(stream)) {
                        throw new AssertionError("stream " + stream + " was not asked for: " + body);
                    }
                    String t = sent.get(stream);
                    Long token = t.equals("-1") || t.equals("now") ? null : Long.valueOf(t);
                    List<Row> all = rows.get(stream);
                    long last = all.isEmpty() ? Long.MIN_VALUE : all.get(all.size() - 1).position();
                    List<String> names = new ArrayList<>();
                    e.getValue().get("field_names").forEach(n -> names.add(n.asText()));
                    int keyIndex = names.indexOf(stream.equals("events") ? "event_id" : "device_id");
                    int idIndex = names.indexOf(stream.equals("events") ? "stream_ordering" : "stream_id");
                    List<Row> received = new ArrayList<>();
                    for (JsonNode row : e.getValue().get("rows")) {
                        long p = row.get(0).asLong();
                        if (token != null && p <= token) {
                            throw new AssertionError(stream + ": row at " + p + " delivered to a reader at token "
                                    + token + ": " + row);
                        }
                        if (p < last) {
                            throw new AssertionError(stream + ": position went backwards: " + p + " after " + last);
                        }
                        last = p;
                        received.add(new Row(p, row.get(keyIndex).asText(), row.get(idIndex).asLong(), receivedAt));
                    }
                    long position = e.getValue().get("position").asLong();
                    if (token != null && position < token) {
                        throw new AssertionError(stream + ": token moved backwards from " + token + " to " + position);
                    }
                    if (position < last) {
                        throw new AssertionError(stream + ": resume position " + position + " below its last row " + last);
                    }
                    got.put(stream, received);
                    resume.put(stream, Long.toString(position));
                }
                got.forEach((s, rs) -> rows.get(s).addAll(rs));
                tokens.putAll(resume);
                epochs.add(epoch);
                lastEpoch = epoch;
                responses++;
            }
        }

        void assertHealthy() {
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError("reader failed: " + t, t);
            }
        }

        synchronized int rowCount(String stream) {
            return rows.get(stream).size();
        }

        synchronized List<Row> rows(String stream) {
            return new ArrayList<>(rows.get(stream));
        }

        synchronized List<String> keys(String stream) {
            List<String> out = new ArrayList<>();
            rows.get(stream).forEach(r -> out.add(r.key()));
            return out;
        }

        synchronized Map<String, Integer> counts() {
            Map<String, Integer> c = new LinkedHashMap<>();
            rows.forEach((k, v) -> c.put(k, v.size()));
            return c;
        }

        synchronized String token(String stream) {
            return tokens.get(stream);
        }

        synchronized Set<String> epochs() {
            return new LinkedHashSet<>(epochs);
        }

        synchronized String lastEpoch() {
            return lastEpoch;
        }

        synchronized int responses() {
            return responses;
        }

        synchronized int unavailable() {
            return unavailable;
        }

        /** When the first events row among {@code tags} arrived (nanoTime), or -1. */
        synchronized long firstReceivedAmong(Set<String> tags) {
            long first = -1;
            for (Row r : rows.get("events")) {
                if (tags.contains(r.key().substring(1)) && (first < 0 || r.receivedAt() < first)) {
                    first = r.receivedAt();
                }
            }
            return first;
        }

        /** When the first row of any stream arrived after {@code nanos}, or -1. */
        synchronized long firstReceivedAfter(long nanos) {
            long first = -1;
            for (List<Row> rs : rows.values()) {
                for (Row r : rs) {
                    if (r.receivedAt() > nanos && (first < 0 || r.receivedAt() < first)) {
                        first = r.receivedAt();
                    }
                }
            }
            return first;
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            if (thread.isAlive()) {
                thread.join(35_000);
            }
        }
    }
}

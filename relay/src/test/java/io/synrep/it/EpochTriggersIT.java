package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.Relay;
import io.synrep.client.ReplicationClient;
import io.synrep.client.TokenStore;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The triggers of a new epoch that happen while the relay is stopped (docs/guarantees.md, "Epochs"), each with a real PostgreSQL, a real relay restarted on its data directory, and a real reader
 * ({@link ReplicationClient}) that saved its tokens and epoch in a file before the restart:
 * <ul>
 *   <li>a different database: the saved state belongs to another database system (a second PostgreSQL cluster,
 *       with its own system identifier);</li>
 *   <li>the slot advanced past the relay's saved position by another consumer;</li>
 *   <li>the saved state lost (the data directory deleted).</li>
 * </ul>
 * Each shows: a new {@code Synrep-Epoch} naming the new history ({@code <system id>-<slot>-<hex earliest>}); the old
 * epoch with the old token gets 410 {@code M_POSITION_TOO_OLD} with {@code earliest}; the reader resyncs once and then
 * receives exactly the rows the new history holds after {@code earliest}, by event id and position, up to a marker
 * transaction written last. (The dropped slot, the fourth trigger, is {@code FaultsIT}.)
 */
class EpochTriggersIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String RESYNC = "<resync>";
    static final RetentionConfig KEEP_ALL = new RetentionConfig(1_000_000, 256L << 20, Duration.ofHours(1));

    /**
     * The relay's data directory holds the state of a relay that read another database system, and this database's
     * slot (created by an earlier relay here) is at or behind that state's position: only the system identifier tells
     * the two histories apart. The first history is pushed a few WAL segments ahead to make sure of that.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void stateOfAnotherDatabaseSystemStartsANewEpoch() throws Exception {
        Path root = Files.createTempDirectory("synrep-epoch-db");
        Path stateDir = root.resolve("state");
        Path tokens = root.resolve("reader.tokens.json");
        String slot = "epoch_db_" + ProcessHandle.current().pid();
        // the first history: this test's cluster, saving the relay's state in stateDir
        String firstUrl = TestPostgres.freshDatabase("epochdb");
        String firstSystem = systemId(firstUrl);
        pushWalAhead(firstUrl, 4);
        String oldEpoch;
        long oldToken;
        long firstCreated;
        try (Relay relay = RelayFixture.start(firstUrl, slot, KEEP_ALL, StateConfig.inDirectory(stateDir));
             Connection writer = TestPostgres.connect(firstUrl);
             TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
            RelayFixture.awaitStreaming(relay);
            firstCreated = relay.log().horizon();
            for (int i = 1; i <= 3; i++) {
                insertEvent(writer, "$a" + i);
            }
            reader.awaitId("$a3");
            assertEquals(List.of("$a1", "$a2", "$a3"), reader.ids());
            oldEpoch = relay.epoch();
            oldToken = reader.position();
            assertEquals(oldEpoch, reader.epoch());
        }
        String saved = Files.readString(stateDir.resolve("state.json"));
        assertTrue(saved.contains(firstSystem), "the saved state names the first system: " + saved);

        // another cluster, whose slot an earlier relay (with its own data directory) created
        try (EmbeddedDatabase other = EmbeddedDatabase.start(root.resolve("pgdata"), 0)) {
            other.applySchema();
            String url = other.jdbcUrl();
            String system = systemId(url);
            assertNotEquals(firstSystem, system, "two clusters, two system identifiers");
            try (Relay earlier = RelayFixture.start(url, slot, KEEP_ALL, StateConfig.inDirectory(root.resolve("y0")))) {
                RelayFixture.awaitStreaming(earlier);
            }
            long slotAt = slotConfirmed(url, slot);
            assertTrue(slotAt <= firstCreated, "precondition: this database's slot (" + slotAt + ") is not past the "
                    + "saved state's position (at least " + firstCreated + "), so only the system id differs");

            Logs logs = new Logs();
            try (logs; Relay relay = RelayFixture.start(url, slot, KEEP_ALL, StateConfig.inDirectory(stateDir));
                 Connection writer = TestPostgres.connect(url)) {
                RelayFixture.awaitStreaming(relay);
                String newEpoch = relay.epoch();
                long earliest = relay.log().horizon();
                assertNotEquals(oldEpoch, newEpoch, "a different database system is a new WAL history");
                assertEquals(slotAt, earliest, "the new history starts at this database's slot");
                assertEquals(system + "-" + slot + "-" + Long.toHexString(earliest), newEpoch);
                assertTrue(logs.text().contains("the saved state belongs to database system " + firstSystem),
                        "the log says why");
                assertTrue(logs.text().contains("NEW EPOCH " + newEpoch), "WARN about the new epoch");

                for (int i = 1; i <= 3; i++) {
                    insertEvent(writer, "$b" + i);
                }
                assertOldEpochGone(relay, oldToken, oldEpoch, newEpoch, earliest);
                try (TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
                    insertEvent(writer, "$end");
                    reader.awaitId("$end");
                    // the reader dropped its caches once, then got this database's rows only
                    assertEquals(List.of(RESYNC, "$b1", "$b2", "$b3", "$end"), reader.ids());
                    assertEquals(1, reader.client.resyncs());
                    assertEquals(newEpoch, reader.epoch());
                    reader.positions().values().forEach(p -> assertTrue(p > earliest, p + " after " + earliest));
                }
            }
        } finally {
            FaultsIT.deleteRecursively(root);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void slotAdvancedByAnotherConsumerStartsANewEpoch() throws Exception {
        String url = TestPostgres.freshDatabase("epochadv");
        String slot = "epoch_adv_" + ProcessHandle.current().pid();
        String system = systemId(url);
        Path root = Files.createTempDirectory("synrep-epoch-adv");
        Path stateDir = root.resolve("state");
        Path tokens = root.resolve("reader.tokens.json");
        String oldEpoch;
        long oldToken;
        try (Relay relay = RelayFixture.start(url, slot, KEEP_ALL, StateConfig.inDirectory(stateDir));
             Connection writer = TestPostgres.connect(url);
             TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
            RelayFixture.awaitStreaming(relay);
            for (int i = 1; i <= 3; i++) {
                insertEvent(writer, "$a" + i);
            }
            reader.awaitId("$a3");
            assertEquals(List.of("$a1", "$a2", "$a3"), reader.ids());
            oldEpoch = relay.epoch();
            oldToken = reader.position();
        }
        long advancedTo;
        try (Connection writer = TestPostgres.connect(url)) {
            // committed while the relay is stopped, then consumed by someone else
            for (int i = 1; i <= 3; i++) {
                insertEvent(writer, "$b" + i);
            }
            advancedTo = advanceSlot(url, slot);
            assertTrue(advancedTo > oldToken, "advanced past the reader's token");
            // committed after the other consumer's position: the new history holds these
            for (int i = 1; i <= 3; i++) {
                insertEvent(writer, "$c" + i);
            }
        }

        Logs logs = new Logs();
        try (logs; Relay relay = RelayFixture.start(url, slot, KEEP_ALL, StateConfig.inDirectory(stateDir));
             Connection writer = TestPostgres.connect(url)) {
            RelayFixture.awaitStreaming(relay);
            String newEpoch = relay.epoch();
            long earliest = relay.log().horizon();
            assertNotEquals(oldEpoch, newEpoch, "a slot advanced by another consumer is a new WAL history");
            assertEquals(advancedTo, earliest, "the new history starts where the other consumer left the slot");
            assertEquals(system + "-" + slot + "-" + Long.toHexString(advancedTo), newEpoch);
            assertTrue(logs.text().contains("SLOT " + slot + " WAS ADVANCED"), "the log says why");
            assertTrue(logs.text().contains("NEW EPOCH " + newEpoch), "WARN about the new epoch");

            assertOldEpochGone(relay, oldToken, oldEpoch, newEpoch, earliest);
            // below the new history even without naming the epoch
            HttpResponse<String> byToken = FaultsIT.get(RelayFixture.base(relay) + "/_synapse/replication?events="
                    + oldToken + "&timeout=0");
            assertTooOld(byToken, earliest, newEpoch);

            try (TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
                insertEvent(writer, "$end");
                reader.awaitId("$end");
                // the transactions the other consumer took are missing, and the reader was told (resync)
                assertEquals(List.of(RESYNC, "$c1", "$c2", "$c3", "$end"), reader.ids());
                assertEquals(1, reader.client.resyncs());
                assertEquals(newEpoch, reader.epoch());
                reader.positions().values().forEach(p -> assertTrue(p > earliest, p + " after " + earliest));
            }
        } finally {
            FaultsIT.deleteRecursively(root);
        }
    }

    /**
     * The state lost after the slot was confirmed past where its history began (the slot's confirmed position is
     * where the new history begins: with a slot confirmed no further than its creation, the replay is the same history
     * and the epoch stays). A retention of two rows makes the relay evict, and so confirm, as it goes.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void lostStateStartsANewEpoch() throws Exception {
        String url = TestPostgres.freshDatabase("epochlost");
        String slot = "epoch_lost_" + ProcessHandle.current().pid();
        String system = systemId(url);
        Path root = Files.createTempDirectory("synrep-epoch-lost");
        Path stateDir = root.resolve("state");
        Path tokens = root.resolve("reader.tokens.json");
        RetentionConfig twoRows = new RetentionConfig(2, 256L << 20, Duration.ofHours(1));
        String oldEpoch;
        long oldToken;
        Map<String, Long> firstPass;
        long created;
        try (Relay relay = RelayFixture.start(url, slot, twoRows, StateConfig.inDirectory(stateDir));
             Connection writer = TestPostgres.connect(url);
             TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
            RelayFixture.awaitStreaming(relay);
            created = slotConfirmed(url, slot);
            for (int i = 1; i <= 6; i++) {
                insertEvent(writer, "$a" + i);
                reader.awaitId("$a" + i); // read before retention drops it
            }
            assertEquals(List.of("$a1", "$a2", "$a3", "$a4", "$a5", "$a6"), reader.ids());
            oldEpoch = relay.epoch();
            oldToken = reader.position();
            firstPass = reader.positions();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (slotConfirmed(url, slot) <= created) {
                assertTrue(System.nanoTime() < deadline, "the slot was not confirmed past its creation in 30 s");
                Thread.sleep(20);
            }
        }
        long confirmed = slotConfirmed(url, slot);
        assertTrue(confirmed > created && confirmed < firstPass.get("$a6"), "confirmed " + confirmed);
        FaultsIT.deleteRecursively(stateDir);
        try (Connection writer = TestPostgres.connect(url)) {
            for (int i = 1; i <= 3; i++) {
                insertEvent(writer, "$b" + i);
            }
        }

        // (keeping every row now, so that the reader cannot fall behind retention while the relay replays)
        try (Relay relay = RelayFixture.start(url, slot, KEEP_ALL, StateConfig.inDirectory(stateDir));
             Connection writer = TestPostgres.connect(url)) {
            RelayFixture.awaitStreaming(relay);
            String newEpoch = relay.epoch();
            long earliest = relay.log().horizon();
            assertNotEquals(oldEpoch, newEpoch, "a relay that lost its state starts a new epoch");
            assertEquals(confirmed, earliest, "the new history starts at the slot's confirmed position");
            assertEquals(system + "-" + slot + "-" + Long.toHexString(confirmed), newEpoch);

            assertOldEpochGone(relay, oldToken, oldEpoch, newEpoch, earliest);
            try (TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
                insertEvent(writer, "$end");
                reader.awaitId("$end");
                // the slot replays what it was not confirmed past: the same rows at the same positions, then the rest
                List<String> expected = new ArrayList<>(List.of(RESYNC));
                for (int i = 1; i <= 6; i++) {
                    if (firstPass.get("$a" + i) > confirmed) {
                        expected.add("$a" + i);
                    }
                }
                assertTrue(expected.size() > 1, "retained rows above the confirmed position are replayed: " + firstPass);
                expected.addAll(List.of("$b1", "$b2", "$b3", "$end"));
                assertEquals(expected, reader.ids());
                for (String id : expected.subList(1, expected.size())) {
                    if (firstPass.containsKey(id)) {
                        assertEquals(firstPass.get(id), reader.positions().get(id), id + " at its first position");
                    }
                    assertTrue(reader.positions().get(id) > earliest, id + " after earliest " + earliest);
                }
                assertEquals(1, reader.client.resyncs());
                assertEquals(newEpoch, reader.epoch());
            }
        } finally {
            FaultsIT.deleteRecursively(root);
        }
    }

    /**
     * The known gap (README, Epochs): the state lost while the slot was never confirmed past its creation point. The
     * relay replays the same history from the same point, so the epoch comes out the same: a reader with its tokens
     * continues with exactly the rows after them (no resync, no 410, nothing repeated), and a reader from {@code -1}
     * gets the first run's rows again at the same positions. Heartbeats are off (one per hour) and every row is
     * retained, so nothing gives capture a position it may confirm; the test checks that the slot stayed at its
     * creation point.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void lostStateOfASlotNeverConfirmedPastItsCreationIsTheSameHistory() throws Exception {
        String url = TestPostgres.freshDatabase("epochsame");
        String slot = "epoch_same_" + ProcessHandle.current().pid();
        Path root = Files.createTempDirectory("synrep-epoch-same");
        Path stateDir = root.resolve("state");
        Path tokens = root.resolve("reader.tokens.json");
        CaptureConfig quiet = new CaptureConfig(url, null, null, slot, slot, Duration.ofHours(1), Duration.ofMillis(10));
        String epoch;
        long created;
        long oldToken;
        Map<String, Long> firstPass;
        try {
            try (Relay relay = Relay.start(quiet, HttpConfig.defaults().withListen("127.0.0.1", 0), KEEP_ALL,
                    Catalog.builtin(), StateConfig.inDirectory(stateDir));
                 Connection writer = TestPostgres.connect(url);
                 TokenReader reader = new TokenReader(RelayFixture.base(relay), tokens)) {
                RelayFixture.awaitStreaming(relay);
                created = slotConfirmed(url, slot);
                epoch = relay.epoch();
                for (int i = 1; i <= 3; i++) {
                    insertEvent(writer, "$a" + i);
                }
                reader.awaitId("$a3");
                assertEquals(List.of("$a1", "$a2", "$a3"), reader.ids());
                firstPass = reader.positions();
                oldToken = reader.position();
            }
            assertEquals(created, slotConfirmed(url, slot), "precondition: the slot was never confirmed past its "
                    + "creation point");
            FaultsIT.deleteRecursively(stateDir);
            try (Connection writer = TestPostgres.connect(url)) {
                for (int i = 1; i <= 2; i++) {
                    insertEvent(writer, "$b" + i);
                }
            }

            try (Relay relay = Relay.start(quiet, HttpConfig.defaults().withListen("127.0.0.1", 0), KEEP_ALL,
                    Catalog.builtin(), StateConfig.inDirectory(stateDir));
                 Connection writer = TestPostgres.connect(url)) {
                RelayFixture.awaitStreaming(relay);
                assertEquals(epoch, relay.epoch(), "the same WAL history, the same epoch");
                assertEquals(created, relay.log().horizon());
                // the old token with the old epoch is still served: no 410
                HttpResponse<String> r = FaultsIT.get(RelayFixture.base(relay) + "/_synapse/replication?events="
                        + oldToken + "&timeout=0&epoch=" + URLEncoder.encode(epoch, StandardCharsets.UTF_8));
                assertEquals(200, r.statusCode(), r.body());
                try (TokenReader resumed = new TokenReader(RelayFixture.base(relay), tokens);
                     TokenReader fresh = new TokenReader(RelayFixture.base(relay), root.resolve("fresh.tokens.json"))) {
                    insertEvent(writer, "$end");
                    resumed.awaitId("$end");
                    fresh.awaitId("$end");
                    // nothing lost, nothing repeated, no resync
                    assertEquals(List.of("$b1", "$b2", "$end"), resumed.ids());
                    assertEquals(0, resumed.client.resyncs());
                    assertEquals(epoch, resumed.epoch());
                    // the replay gives the first run's rows at the same positions
                    assertEquals(List.of("$a1", "$a2", "$a3", "$b1", "$b2", "$end"), fresh.ids());
                    Map<String, Long> replayed = fresh.positions();
                    for (String id : firstPass.keySet()) {
                        assertEquals(firstPass.get(id), replayed.get(id), id + " at its first position");
                    }
                    for (String id : List.of("$b1", "$b2", "$end")) {
                        assertEquals(resumed.positions().get(id), replayed.get(id), id);
                        assertTrue(replayed.get(id) > oldToken, id + " after the old token");
                    }
                }
            }
        } finally {
            FaultsIT.deleteRecursively(root);
        }
    }

    /** The old epoch with the old token: 410 with the new history's earliest position, under the new epoch. */
    private static void assertOldEpochGone(Relay relay, long oldToken, String oldEpoch, String newEpoch, long earliest)
            throws Exception {
        HttpResponse<String> r = FaultsIT.get(RelayFixture.base(relay) + "/_synapse/replication?events=" + oldToken
                + "&timeout=0&epoch=" + URLEncoder.encode(oldEpoch, StandardCharsets.UTF_8));
        assertTooOld(r, earliest, newEpoch);
    }

    private static void assertTooOld(HttpResponse<String> r, long earliest, String newEpoch) throws Exception {
        assertEquals(410, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("M_POSITION_TOO_OLD", body.path("errcode").asText(), r.body());
        assertEquals(earliest, body.path("earliest").asLong(-1), r.body());
        assertEquals(newEpoch, r.headers().firstValue("Synrep-Epoch").orElse(null));
    }

    /** The slot's confirmed position after another consumer advanced it to the writer's current position. */
    private static long advanceSlot(String url, String slot) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        try (Connection c = TestPostgres.connect(url);
             PreparedStatement adv = c.prepareStatement("SELECT pg_replication_slot_advance(?, pg_current_wal_lsn())")) {
            adv.setString(1, slot);
            while (true) {
                try {
                    adv.executeQuery().close();
                    return slotConfirmed(url, slot);
                } catch (SQLException e) {
                    // 55006: the stopped relay's walsender has not exited yet
                    if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(20);
                }
            }
        }
    }

    /** Moves the cluster's WAL position {@code segments} WAL segments further (a write, then a segment switch). */
    static void pushWalAhead(String url, int segments) throws SQLException {
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            for (int i = 0; i < segments; i++) {
                st.execute("SELECT pg_logical_emit_message(false, 'synrep-test', 'x')");
                st.execute("SELECT pg_switch_wal()");
            }
        }
    }

    static long slotConfirmed(String url, String slot) throws SQLException {
        try (Connection c = TestPostgres.connect(url);
             PreparedStatement ps = c.prepareStatement(
                     "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "slot " + slot + " exists");
                return Position.parseLsn(rs.getString(1));
            }
        }
    }

    static String systemId(String url) throws SQLException {
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void insertEvent(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ev = c.prepareStatement("INSERT INTO events (topological_ordering, event_id, type, "
                + "room_id, content, processed, outlier, depth, origin_server_ts, received_ts, sender, stream_ordering) "
                + "VALUES (1, ?, 'm.room.message', '!epoch:test', '{}', true, false, 1, 0, 0, '@e:test', "
                + "nextval('events_stream_seq'))")) {
            ev.setString(1, eventId);
            ev.executeUpdate();
        }
    }

    /**
     * A reader library client following {@code events} from {@code -1}, its tokens (and epoch) in a file; records
     * each handled event id, and {@link #RESYNC} when its resync hook runs.
     */
    static final class TokenReader implements AutoCloseable {
        final ReplicationClient client;
        private final List<String> ids = new ArrayList<>();
        private final Map<String, Long> positions = new LinkedHashMap<>();

        TokenReader(String base, Path tokenFile) {
            client = ReplicationClient.builder(URI.create(base))
                    .on("events", row -> record(row.text("event_id"), row.position()))
                    .onResync(() -> record(RESYNC, -1))
                    .tokenStore(TokenStore.file(tokenFile))
                    .from("-1")
                    .pollTimeout(Duration.ofMillis(500))
                    .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .build()
                    .start();
        }

        private synchronized void record(String id, long position) {
            ids.add(id);
            if (position >= 0) {
                positions.put(id, position);
            }
        }

        synchronized List<String> ids() {
            return List.copyOf(ids);
        }

        synchronized Map<String, Long> positions() {
            return new LinkedHashMap<>(positions);
        }

        long position() {
            return client.position();
        }

        String epoch() {
            return client.epoch();
        }

        /** Waits until {@code id} was handled and the reader's tokens were saved past it. */
        void awaitId(String id) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                Long at;
                synchronized (this) {
                    at = positions.get(id);
                }
                if (at != null && client.position() >= at) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, "reader did not get " + id + " in 30 s; it has " + ids()
                        + ", last error " + client.lastError());
                Thread.sleep(10);
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** Copies stderr (where the relay logs) while open. */
    static final class Logs implements AutoCloseable {
        private final PrintStream original = System.err;
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        Logs() {
            System.setErr(new PrintStream(new FaultsIT.Tee(original, copy), true));
        }

        String text() {
            synchronized (copy) {
                return copy.toString(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }
}

package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.capture.Capture;
import io.synrep.Relay;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.streams.Catalog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The writer's schema changes while a relay streams: ADD, DROP and RENAME COLUMN on a streamed table, a table added
 * to the catalog across a restart, a catalog table dropped. Each case runs a real relay on the embedded PostgreSQL,
 * reads rows over HTTP and compares them with the database: every committed row arrives exactly once, the relay keeps
 * serving, and a stream the change breaks says so in {@code /health}.
 */
class SchemaChangeIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WITHIN = Duration.ofSeconds(30);
    final HttpClient http = HttpClient.newHttpClient();

    /** A stream over an operator's own table, next to the built-in ones. */
    static final String WIDGETS_CATALOG = """
            {"extends": "builtin", "streams": [
              {"name": "widgets", "fields": ["id", "name", "color"],
               "sources": [{"table": "widgets", "operations": ["insert", "update"]%s}]}]}
            """;

    @Test
    void addedColumnLeavesRowsUnchangedBecauseTheCatalogNamesItsFields() throws Exception {
        String url = widgetsDatabase("add_col");
        try (Relay relay = start(url, "add_col", catalog(""), tempDir());
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            Poller reader = new Poller(RelayFixture.base(relay), List.of("widgets", "receipts"), "-1");
            insertWidgets(st, 1, 5);
            st.execute("ALTER TABLE widgets ADD COLUMN size int");
            st.execute("INSERT INTO widgets (id, name, color, size) VALUES (6, 'w6', 'red', 60)");
            // the DDL and rows using the new column in one transaction
            c.setAutoCommit(false);
            st.execute("ALTER TABLE widgets ADD COLUMN shape text DEFAULT 'round'");
            st.execute("INSERT INTO widgets (id, name, color, size, shape) VALUES (7, 'w7', 'red', 70, 'square')");
            c.commit();
            c.setAutoCommit(true);
            insertWidgets(st, 8, 10);
            insertReceipt(st, 1);

            reader.pollUntil(() -> reader.rows("widgets").size() >= 10 && reader.rows("receipts").size() >= 1, WITHIN);
            assertEquals(List.of("position", "id", "name", "color"), reader.fieldNames.get("widgets"));
            assertEquals(databaseWidgets(st), streamedWidgets(reader), "every row once, with its values");
            assertEquals("ok", health(relay).get("streams").get("widgets").asText());
            assertTrue(reader.rows("widgets").stream().allMatch(r -> r.size() == 4), "no extra field");
            assertEquals(Capture.State.STREAMING, relay.capture().state());
            assertEquals(0, relay.capture().missingColumns(), "an added column is no drift");
        }
    }

    @Test
    void droppedMappedColumnGivesNullAndAnErrorStateWhileOtherFieldsAndStreamsFlow() throws Exception {
        String url = widgetsDatabase("drop_col");
        try (Relay relay = start(url, "drop_col", catalog(""), tempDir());
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            Poller reader = new Poller(RelayFixture.base(relay), List.of("widgets", "receipts"), "-1");
            insertWidgets(st, 1, 5);
            long droppedAt = System.nanoTime();
            st.execute("ALTER TABLE widgets DROP COLUMN color");
            for (int i = 6; i <= 10; i++) {
                st.execute("INSERT INTO widgets (id, name) VALUES (" + i + ", 'w" + i + "')");
            }
            insertReceipt(st, 1);

            reader.pollUntil(() -> reader.rows("widgets").size() >= 10 && reader.rows("receipts").size() >= 1, WITHIN);
            Map<Long, List<String>> streamed = streamedWidgets(reader);
            assertEquals(databaseWidgets(st).keySet(), streamed.keySet(), "every row once");
            for (long id = 1; id <= 10; id++) {
                // rows committed before the drop keep the value they were committed with
                assertEquals(Arrays.asList("w" + id, id <= 5 ? "red" : null), streamed.get(id));
            }
            assertTrue(relay.capture().missingColumns() >= 1, "the drift was seen in the changes themselves");
            String state = awaitStreamState(relay, "widgets", "error");
            System.out.println("FIGURES dropped column: error state in /health " + millisSince(droppedAt) + " ms after the DROP");
            assertTrue(state.contains("column public.widgets.color does not exist"), state);
            JsonNode h = health(relay);
            assertEquals("ok", h.get("streams").get("receipts").asText());
            assertEquals("streaming", h.get("status").asText());

            insertReceipt(st, 2);
            reader.pollUntil(() -> reader.rows("receipts").size() >= 2, WITHIN);
            assertEquals(Capture.State.STREAMING, relay.capture().state());
        }
    }

    @Test
    void renamedColumnReadsAsNullUntilTheCatalogFollowsItAndARestartLosesNothing() throws Exception {
        String url = widgetsDatabase("ren_col");
        Path dir = tempDir();
        Poller reader;
        try (Relay relay = start(url, "ren_col", catalog(""), dir);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            reader = new Poller(RelayFixture.base(relay), List.of("widgets"), "-1");
            insertWidgets(st, 1, 3);
            st.execute("ALTER TABLE widgets RENAME COLUMN name TO label");
            st.execute("INSERT INTO widgets (id, label, color) VALUES (4, 'w4', 'red')");
            reader.pollUntil(() -> reader.rows("widgets").size() >= 4, WITHIN);
            Map<Long, List<String>> streamed = streamedWidgets(reader);
            assertEquals("w3", streamed.get(3L).get(0));
            assertEquals(null, streamed.get(4L).get(0), "the catalog still reads column name");
            String state = awaitStreamState(relay, "widgets", "error");
            assertTrue(state.contains("column public.widgets.name does not exist"), state);
        }
        // the operator maps the field to the new column and restarts on the same data directory
        try (Relay relay = start(url, "ren_col", catalog(", \"columns\": {\"name\": \"label\"}"), dir);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            Poller resumed = new Poller(RelayFixture.base(relay), List.of("widgets"), "-1");
            resumed.tokens.putAll(reader.tokens);
            st.execute("INSERT INTO widgets (id, label, color) VALUES (5, 'w5', 'red')");
            resumed.pollUntil(() -> resumed.rows("widgets").size() >= 1, WITHIN);
            assertEquals(1, resumed.rows("widgets").size(), "nothing replayed twice: " + resumed.rows("widgets"));
            assertEquals("w5", resumed.rows("widgets").get(0).get(2).asText());
            assertEquals("ok", health(relay).get("streams").get("widgets").asText());
        }
    }

    @Test
    void tableAddedToTheCatalogFlowsAfterARestartAndOtherStreamsLoseAndRepeatNothing() throws Exception {
        String url = widgetsDatabase("new_tab");
        Path dir = tempDir();
        Poller reader;
        try (Relay relay = start(url, "new_tab", Catalog.builtin(), dir);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            reader = new Poller(RelayFixture.base(relay), List.of("receipts"), "-1");
            for (int i = 1; i <= 20; i++) {
                insertReceipt(st, i);
            }
            insertWidgets(st, 1, 5); // not streamed yet
            reader.pollUntil(() -> reader.rows("receipts").size() >= 20, WITHIN);
            assertFalse(publicationTables(st, "new_tab").contains("public.widgets"));
        }
        long restartedAt;
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            // written while no relay runs
            for (int i = 21; i <= 30; i++) {
                insertReceipt(st, i);
            }
            insertWidgets(st, 6, 10);
            restartedAt = walPosition(st);
        }
        try (Relay relay = start(url, "new_tab", catalog(""), dir);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            assertTrue(publicationTables(st, "new_tab").contains("public.widgets"), "the relay added the table");
            Poller resumed = new Poller(RelayFixture.base(relay), List.of("receipts", "widgets"), "-1");
            resumed.tokens.put("receipts", reader.token("receipts"));
            for (int i = 31; i <= 40; i++) {
                insertReceipt(st, i);
            }
            insertWidgets(st, 11, 20);
            // markers committed after the writes under test: once each has arrived, everything its stream had before
            // it has too (rows come in commit order), so a duplicate or a stray row would be in what came before
            insertReceipt(st, 41);
            insertWidgets(st, 21, 21);
            resumed.pollUntil(() -> hasId(resumed, "receipts", 41) && hasId(resumed, "widgets", 21), WITHIN);

            List<Long> receipts = new ArrayList<>();
            reader.rows("receipts").forEach(r -> receipts.add(r.get(1).asLong()));
            resumed.rows("receipts").forEach(r -> receipts.add(r.get(1).asLong()));
            assertEquals(databaseReceipts(st), receipts, "every receipt exactly once, in commit order, across the restart");

            // the new stream carries what its table got once the relay had added it to the publication
            Map<Long, List<String>> widgets = streamedWidgets(resumed);
            Map<Long, List<String>> expected = new TreeMap<>(databaseWidgets(st));
            expected.keySet().removeIf(id -> id <= 10);
            assertEquals(expected, widgets, "rows committed before the restart are not backfilled");
            for (JsonNode r : resumed.rows("widgets")) {
                assertTrue(r.get(0).asLong() > restartedAt, "a widgets row from before the restart: " + r);
            }
            assertEquals("ok", health(relay).get("streams").get("widgets").asText());
        }
    }

    @Test
    void droppedTableStopsItsStreamWithAnErrorStateAndTheOthersKeepFlowing() throws Exception {
        String url = widgetsDatabase("drop_tab");
        Path dir = tempDir();
        Poller reader;
        try (Relay relay = start(url, "drop_tab", catalog(""), dir);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            reader = new Poller(RelayFixture.base(relay), List.of("widgets", "receipts"), "-1");
            insertWidgets(st, 1, 5);
            insertReceipt(st, 1);
            Map<Long, List<String>> before = databaseWidgets(st);
            // dropped right after its last rows, likely before capture decoded them
            long droppedAt = System.nanoTime();
            st.execute("DROP TABLE widgets");
            for (int i = 2; i <= 10; i++) {
                insertReceipt(st, i);
            }
            reader.pollUntil(() -> reader.rows("receipts").size() >= 10, WITHIN);
            reader.pollUntil(() -> reader.rows("widgets").size() >= 5, WITHIN);
            assertEquals(before, streamedWidgets(reader), "the rows committed before the drop, once each");

            String state = awaitStreamState(relay, "widgets", "error");
            System.out.println("FIGURES dropped table: error state in /health " + millisSince(droppedAt) + " ms after the DROP");
            assertTrue(state.contains("table public.widgets does not exist"), state);
            HttpResponse<String> h = get(RelayFixture.base(relay) + "/health");
            assertEquals(200, h.statusCode(), "the relay still serves the other streams: " + h.body());
            assertEquals("ok", JSON.readTree(h.body()).get("streams").get("receipts").asText());

            // still streaming, still serving
            insertReceipt(st, 11);
            reader.pollUntil(() -> reader.rows("receipts").size() >= 11, WITHIN);
            assertEquals(databaseReceipts(st), receipts(reader));
            assertEquals(Capture.State.STREAMING, relay.capture().state());

            // a reconnect (here: the walsender killed) re-checks the slot but does not refuse the missing table
            st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'drop_tab'");
            long deadline = System.nanoTime() + WITHIN.toNanos();
            while (relay.capture().restarts() < 1 || relay.capture().state() != Capture.State.STREAMING) {
                assertTrue(System.nanoTime() < deadline, "capture did not reconnect: " + relay.capture().failure());
                Thread.sleep(50);
            }
            insertReceipt(st, 12);
            reader.pollUntil(() -> reader.rows("receipts").size() >= 12, WITHIN);
            assertEquals(databaseReceipts(st), receipts(reader));

            // the table comes back under the same name: it is a new table, outside the publication
            st.execute("CREATE TABLE widgets (id bigint PRIMARY KEY, name text, color text)");
            st.execute("ALTER TABLE widgets REPLICA IDENTITY FULL");
            String back = awaitStreamState(relay, "widgets", "error: table public.widgets is not in publication");
            assertTrue(back.contains("ALTER PUBLICATION drop_tab ADD TABLE \"public\".\"widgets\""), back);
            st.execute("DROP TABLE widgets");
        }
        // the operator removes the stream and restarts: the replay decodes the dropped table's changes again
        try (Relay relay = start(url, "drop_tab", Catalog.builtin(), dir);
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            Poller resumed = new Poller(RelayFixture.base(relay), List.of("receipts"), reader.token("receipts"));
            for (int i = 13; i <= 16; i++) {
                insertReceipt(st, i);
            }
            insertReceipt(st, 17); // the marker: once it has arrived, so has everything committed before it
            resumed.pollUntil(() -> hasId(resumed, "receipts", 17), WITHIN);
            List<Long> all = receipts(reader);
            all.addAll(receipts(resumed));
            assertEquals(databaseReceipts(st), all, "every receipt exactly once across the restart");
            assertEquals(Capture.State.STREAMING, relay.capture().state());
        }
    }

    /** Whether {@code reader} has received the row with id (column 1) {@code id} on {@code stream}. */
    static boolean hasId(Poller reader, String stream, long id) {
        return reader.rows(stream).stream().anyMatch(r -> r.get(1).asLong() == id);
    }

    static List<Long> receipts(Poller reader) {
        List<Long> ids = new ArrayList<>();
        reader.rows("receipts").forEach(r -> ids.add(r.get(1).asLong()));
        return ids;
    }

    // --- helpers

    static String widgetsDatabase(String prefix) throws SQLException {
        String url = TestPostgres.freshDatabase(prefix);
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE widgets (id bigint PRIMARY KEY, name text, color text)");
            st.execute("ALTER TABLE widgets REPLICA IDENTITY FULL");
        }
        return url;
    }

    static Catalog catalog(String sourceExtra) throws Exception {
        Path f = Files.createTempFile("widgets-catalog", ".json");
        Files.writeString(f, WIDGETS_CATALOG.formatted(sourceExtra));
        return Catalog.load(f);
    }

    static Relay start(String url, String slot, Catalog catalog, Path dir) {
        return Relay.start(RelayFixture.capture(url, slot), HttpConfig.defaults().withListen("127.0.0.1", 0),
                RetentionConfig.defaults(), catalog, StateConfig.inDirectory(dir));
    }

    static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    static Path tempDir() throws Exception {
        return Files.createTempDirectory("schema-change");
    }

    static void insertWidgets(Statement st, int from, int to) throws SQLException {
        for (int i = from; i <= to; i++) {
            st.execute("INSERT INTO widgets (id, name, color) VALUES (" + i + ", 'w" + i + "', 'red')");
        }
    }

    static void insertReceipt(Statement st, int streamId) throws SQLException {
        st.execute("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data) VALUES ("
                + streamId + ", '!r:t', 'm.read', '@u" + streamId + ":t', '$e', '{}')");
    }

    /** Rows by id: [name, color] as the stream encodes them (null where the column is gone). */
    static Map<Long, List<String>> streamedWidgets(Poller reader) {
        Map<Long, List<String>> out = new TreeMap<>();
        for (JsonNode r : reader.rows("widgets")) {
            List<String> values = new ArrayList<>();
            values.add(r.get(2).isNull() ? null : r.get(2).asText());
            values.add(r.get(3).isNull() ? null : r.get(3).asText());
            if (out.put(r.get(1).asLong(), values) != null) {
                throw new AssertionError("widget " + r.get(1) + " delivered twice");
            }
        }
        return out;
    }

    /** What the stream should carry: each column the catalog reads, null where the table lacks it. */
    static Map<Long, List<String>> databaseWidgets(Statement st) throws SQLException {
        Map<Long, List<String>> out = new TreeMap<>();
        try (ResultSet rs = st.executeQuery("SELECT to_jsonb(w) FROM widgets w")) {
            while (rs.next()) {
                JsonNode row = readJson(rs.getString(1));
                List<String> values = new ArrayList<>();
                for (String col : List.of("name", "color")) {
                    JsonNode v = row.get(col);
                    values.add(v == null || v.isNull() ? null : v.asText());
                }
                out.put(row.get("id").asLong(), values);
            }
        }
        return out;
    }

    static List<Long> databaseReceipts(Statement st) throws SQLException {
        List<Long> ids = new ArrayList<>();
        // physical insertion order is commit order here: one writer, one row per transaction
        try (ResultSet rs = st.executeQuery("SELECT stream_id FROM receipts_linearized ORDER BY stream_id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    static List<String> publicationTables(Statement st, String publication) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT schemaname || '.' || tablename FROM pg_publication_tables "
                + "WHERE pubname = '" + publication + "'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static long walPosition(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static JsonNode readJson(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode health(Relay relay) throws Exception {
        return JSON.readTree(get(RelayFixture.base(relay) + "/health").body());
    }

    /** Polls /health until the stream's state starts with {@code prefix} (the schema check runs every 2 s). */
    String awaitStreamState(Relay relay, String stream, String prefix) throws Exception {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        String state = null;
        while (System.nanoTime() < deadline) {
            JsonNode streams = health(relay).get("streams");
            state = streams == null ? null : streams.path(stream).asText(null);
            if (state != null && state.startsWith(prefix)) {
                return state;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("stream " + stream + " never reached state '" + prefix + "...'; last: " + state);
    }

    HttpResponse<String> get(String u) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

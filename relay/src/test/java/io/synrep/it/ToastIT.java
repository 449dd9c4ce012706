package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synrep.Relay;
import io.synrep.config.RetentionConfig;
import io.synrep.streams.Catalog;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Large values stored out of line (TOAST) that an UPDATE leaves alone. pgoutput sends such a column of the new row
 * only as "unchanged"; Debezium then substitutes a placeholder ({@code __debezium_unavailable_value}, or its bytes,
 * base64 or list forms) unless it can take the value from the old row.
 *
 * <p>With {@code REPLICA IDENTITY FULL} (what {@code sql/schema.sql} sets) the old row carries every value, inlined,
 * and every streamed row must carry the full values. Without it the value is simply not in the WAL: the relay must
 * never pass the placeholder on as data; the column is sent as {@code null} and counted.
 */
class ToastIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String PLACEHOLDER = "__debezium_unavailable_value";

    private static String dbUrl;
    private static Relay relay;

    @BeforeAll
    static void start() throws Exception {
        dbUrl = TestPostgres.freshDatabase("toast");
        try (Connection c = TestPostgres.connect(dbUrl); Statement st = c.createStatement()) {
            st.execute(TypeFidelityIT.resource("types/schema.sql"));
        }
        Catalog catalog = Catalog.load(TypeFidelityIT.resourcePath("types/catalog.json"));
        relay = RelayFixture.start(dbUrl, SqlRows.dbName(dbUrl), catalog, RetentionConfig.defaults());
        RelayFixture.awaitStreaming(relay);
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void unchangedToastedValuesAreStreamedInFullUnderReplicaIdentityFull() throws Exception {
        String table = "fidelity_toast_full";
        List<JsonNode> expected = new ArrayList<>();
        try (Connection c = TestPostgres.connect(dbUrl); Statement st = c.createStatement()) {
            insertLarge(st, table);
            assertStoredOutOfLine(st, table);
            expected.add(current(st, table));
            st.execute("UPDATE " + table + " SET counter = counter + 1 WHERE id = 1");
            expected.add(current(st, table));
            // one large column changes, the other three stay TOASTed and unchanged
            st.execute("UPDATE " + table + " SET big_text = big_text || 'x', counter = counter + 1 WHERE id = 1");
            expected.add(current(st, table));
            expected.add(current(st, table)); // the delete streams the old row, whole
            st.execute("DELETE FROM " + table + " WHERE id = 1");
        }
        long unavailableBefore = relay.capture().unavailableValues();
        List<JsonNode> rows = stream("toast_full", expected.size());
        for (int i = 0; i < rows.size(); i++) {
            assertNoPlaceholder(rows.get(i));
            assertEquals(expected.get(i), rows.get(i), "row " + i + " of " + table + " (insert, update, update, delete)");
        }
        assertEquals(0, relay.capture().unavailableValues() - unavailableBefore, "no value was unavailable");
        try (Connection c = TestPostgres.connect(dbUrl); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW server_version")) {
            rs.next();
            System.out.println("FIGURES toast: unchanged TOASTed values streamed in full under REPLICA IDENTITY FULL"
                    + " on PostgreSQL " + rs.getString(1));
        }
    }

    @Test
    void withoutReplicaIdentityFullUnchangedToastedValuesAreNullAndCountedNeverPlaceholders() throws Exception {
        String table = "fidelity_toast_default";
        long unavailableBefore = relay.capture().unavailableValues();
        ObjectNode inserted;
        try (Connection c = TestPostgres.connect(dbUrl); Statement st = c.createStatement()) {
            insertLarge(st, table);
            assertStoredOutOfLine(st, table);
            inserted = current(st, table);
            st.execute("UPDATE " + table + " SET counter = counter + 1 WHERE id = 1");
            st.execute("DELETE FROM " + table + " WHERE id = 1");
        }
        List<JsonNode> rows = stream("toast_default", 3);
        rows.forEach(ToastIT::assertNoPlaceholder);
        assertEquals(inserted, rows.get(0), "the insert carries every value");
        ObjectNode updated = inserted.deepCopy();
        updated.put("counter", inserted.get("counter").asInt() + 1);
        for (String big : List.of("big_text", "big_bytea", "big_jsonb", "big_text_array")) {
            updated.putNull(big);
        }
        assertEquals(updated, rows.get(1), "the update: unchanged TOASTed columns are not in the WAL, sent as null");
        // the delete: without REPLICA IDENTITY FULL the WAL's old row holds only the key; Debezium fills a NOT NULL
        // column with its type's zero value (counter 0, not the old 1), which the relay must not stream as data
        ObjectNode deleted = Poller.JSON.createObjectNode();
        deleted.put("id", 1);
        for (String column : List.of("counter", "big_text", "big_bytea", "big_jsonb", "big_text_array")) {
            deleted.putNull(column);
        }
        assertEquals(deleted, rows.get(2), "the delete carries only the key, the rest is null");
        assertEquals(4, relay.capture().unavailableValues() - unavailableBefore,
                "the four unavailable values are counted");
        String health = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(RelayFixture.base(relay) + "/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(health.contains("unchanged TOASTed values streamed as null"), "health says so: " + health);
    }

    @Test
    void theStartupCheckNamesTheTablesWithoutReplicaIdentityFull() throws Exception {
        Catalog catalog = Catalog.load(TypeFidelityIT.resourcePath("types/catalog.json"));
        try (Connection c = TestPostgres.connect(dbUrl)) {
            assertEquals(List.of("public.fidelity_toast_default"),
                    io.synrep.capture.ReplicaIdentityCheck.notFull(c, catalog.tables()));
            assertEquals(java.util.Map.of("public.fidelity_toast_default", java.util.Set.of("id")),
                    io.synrep.capture.ReplicaIdentityCheck.identityColumns(c, catalog.tables()),
                    "deletes of the default-identity table carry its primary key");
            assertEquals(List.of(), io.synrep.capture.ReplicaIdentityCheck.notFull(c,
                    io.synrep.streams.Catalog.builtin().tables()), "sql/schema.sql sets FULL on every Synapse table");
        }
    }

    /** Incompressible values well over the TOAST threshold: md5 chains, as text, bytes, inside jsonb and an array. */
    private static void insertLarge(Statement st, String table) throws SQLException {
        st.execute("INSERT INTO " + table + " (id, counter, big_text, big_bytea, big_jsonb, big_text_array)"
                + " SELECT 1, 0, t, decode(t, 'hex'), jsonb_build_object('blob', t || 'é', 'n', 1), ARRAY[t, 'small', NULL]"
                + " FROM (SELECT string_agg(md5(i::text || '" + table + "'), '') AS t FROM generate_series(1, 800) i) s");
    }

    /** The table's TOAST relation holds one chunk series per large value of the row: they are out of line. */
    private static void assertStoredOutOfLine(Statement st, String table) throws SQLException {
        String toast;
        try (ResultSet rs = st.executeQuery("SELECT reltoastrelid::regclass FROM pg_class WHERE oid = '" + table
                + "'::regclass")) {
            rs.next();
            toast = rs.getString(1);
        }
        try (ResultSet rs = st.executeQuery("SELECT count(DISTINCT chunk_id), octet_length(big_text)"
                + " FROM " + toast + ", " + table + " WHERE id = 1 GROUP BY 2")) {
            assertTrue(rs.next(), "no TOAST chunks in " + toast);
            assertEquals(4, rs.getInt(1), "large values stored out of line in " + toast);
            assertTrue(rs.getInt(2) > 8192, "big_text is over 8 KB");
        }
    }

    /** The row as the relay must stream it, computed by PostgreSQL (the documented representation). */
    private static ObjectNode current(Statement st, String table) throws Exception {
        try (ResultSet rs = st.executeQuery("SELECT json_build_object('id', id, 'counter', counter, 'big_text', big_text,"
                + " 'big_bytea', translate(encode(big_bytea, 'base64'), E'\\n', ''), 'big_jsonb', big_jsonb,"
                + " 'big_text_array', big_text_array)::text FROM " + table + " WHERE id = 1")) {
            assertTrue(rs.next());
            return (ObjectNode) Poller.JSON.readTree(rs.getString(1));
        }
    }

    private static List<JsonNode> stream(String stream, int count) throws Exception {
        Poller poller = new Poller(RelayFixture.base(relay), List.of(stream), "-1");
        poller.pollUntil(() -> poller.rows(stream).size() >= count, WAIT);
        List<String> fields = poller.fieldNames.get(stream);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode row : poller.rows(stream)) {
            ObjectNode o = Poller.JSON.createObjectNode();
            for (int i = 1; i < fields.size(); i++) {
                o.set(fields.get(i), row.get(i));
            }
            out.add(o);
        }
        assertEquals(count, out.size(), stream + " rows");
        return out;
    }

    /** Neither the placeholder text nor its base64 (bytea) form appears anywhere in the row. */
    private static void assertNoPlaceholder(JsonNode row) {
        String text = row.toString();
        assertFalse(text.contains(PLACEHOLDER), "placeholder streamed as data: " + abbreviate(text));
        String base64 = Base64.getEncoder().encodeToString(PLACEHOLDER.getBytes(StandardCharsets.UTF_8));
        assertFalse(text.contains(base64.substring(0, 20)), "base64 placeholder streamed as data: " + abbreviate(text));
    }

    private static String abbreviate(String s) {
        return s.replaceAll("[0-9a-f]{64,}", "<hex>").replaceAll("[A-Za-z0-9+/]{80,}", "<base64>");
    }
}

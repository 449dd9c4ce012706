package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A relay's first start, with no saved state: its history begins at the slot's confirmed position, and every
 * transaction committed after that is delivered once, including those committed while the relay was still starting
 * (before Debezium streamed) and those already in the slot's WAL when the relay started.
 */
class FirstStartIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void transactionsCommittedWhileTheRelayStartsOnANewSlotAreAllDelivered() throws Exception {
        String url = TestPostgres.freshDatabase("firststart");
        String slot = SqlRows.dbName(url);
        // stream id -> WAL insert position just before its commit: the commit's position is after it
        Map<Long, Long> beforeCommit = new ConcurrentHashMap<>();
        AtomicLong ids = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread w = new Thread(() -> {
                try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    while (writing.get()) {
                        long id = ids.incrementAndGet();
                        st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (" + id
                                + ", '@u:t', 'D')");
                        try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
                            rs.next();
                            beforeCommit.put(id, rs.getLong(1));
                        }
                        c.commit();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "first-start-writer-" + t);
            w.start();
            writers.add(w);
        }
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), List.of("--pg-url", url, "--listen",
                "127.0.0.1:0", "--slot", slot, "--data-dir", Files.createTempDirectory("firststart").toString()))) {
            // the writers ran through slot creation, Debezium's start and its first batches
            awaitRows(relay.base(), 1);
            Thread.sleep(1000);
            writing.set(false);
            for (Thread w : writers) {
                w.join();
            }
            long earliest = JSON.readTree(get(relay.base() + "/health")).get("earliest").asLong();
            Map<Long, Long> delivered = drain(relay.base(), beforeCommit.size());
            int inHistory = 0;
            for (Map.Entry<Long, Long> e : beforeCommit.entrySet()) {
                if (e.getValue() >= earliest) { // committed after the history began: must be there
                    inHistory++;
                    assertTrue(delivered.containsKey(e.getKey()), "transaction " + e.getKey() + " committed after "
                            + earliest + " is missing");
                }
            }
            assertTrue(inHistory > 0, "some transactions were committed after the slot was created");
            System.out.printf("FIGURES first start: %d transactions written around the start, %d after the history "
                    + "began, %d delivered, 0 missing%n", beforeCommit.size(), inHistory, delivered.size());
        }
    }

    @Test
    void aSlotWithWalBehindItIsReadFromItsConfirmedPosition() throws Exception {
        String url = TestPostgres.freshDatabase("oldslot");
        String name = SqlRows.dbName(url);
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE PUBLICATION " + name + " FOR ALL TABLES");
            st.execute("SELECT pg_create_logical_replication_slot('" + name + "_tpl', 'pgoutput')");
            st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) SELECT g, '@u:t', 'D' "
                    + "FROM generate_series(1, 1000) g");
            for (int i = 1001; i <= 1200; i++) {
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (" + i
                        + ", '@u:t', 'D')");
            }
            // a copy, as for a replay from a template, and the original: both hold the same WAL
            st.execute("SELECT pg_copy_logical_replication_slot('" + name + "_tpl', '" + name + "')");
        }
        for (String slot : List.of(name, name + "_tpl")) {
            try (RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), List.of("--pg-url", url, "--listen",
                    "127.0.0.1:0", "--slot", slot, "--publication", name, "--data-dir",
                    Files.createTempDirectory("oldslot").toString()))) {
                Map<Long, Long> delivered = drain(relay.base(), 1200);
                assertEquals(1200, delivered.size(), slot + ": every row in the slot's WAL");
                assertEquals(201, delivered.values().stream().distinct().count(), slot + ": 201 transactions");
            }
        }
    }

    /** stream id -> position of every device_lists row from the oldest retained, once at least {@code n} arrived. */
    private Map<Long, Long> drain(String base, int n) throws Exception {
        Map<Long, Long> rows = new TreeMap<>();
        String token = "-1";
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (rows.size() < n && System.nanoTime() < deadline) {
            JsonNode dl = JSON.readTree(get(base + "/_synapse/replication?device_lists=" + token
                    + "&timeout=1000&limit=10000")).path("device_lists");
            if (dl.isMissingNode()) {
                continue;
            }
            token = dl.get("position").asText();
            for (JsonNode r : dl.get("rows")) {
                Long previous = rows.put(r.get(1).asLong(), r.get(0).asLong());
                assertEquals(null, previous, "row " + r.get(1) + " delivered twice");
            }
        }
        return rows;
    }

    private String get(String uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** Waits until the relay delivers at least {@code atLeast} device_lists rows from the oldest retained. */
    private void awaitRows(String base, int atLeast) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonNode dl = JSON.readTree(get(base + "/_synapse/replication?device_lists=-1&timeout=1000"))
                    .path("device_lists");
            if (dl.path("rows").size() >= atLeast) {
                return;
            }
        }
        throw new AssertionError("no rows arrived");
    }
}

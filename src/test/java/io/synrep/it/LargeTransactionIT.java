package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A 200,000-row transaction reaches a reader whole, with limit=100, from a relay running in its own JVM with a
 * 256 MB heap: the soft limit never splits a transaction, and capture streams it within a small heap.
 */
class LargeTransactionIT {
    static final int ROWS = 200_000;

    @Test
    void wholeTransactionInOnePageUnderSmallHeap() throws Exception {
        String url = TestPostgres.freshDatabase("bigtx");
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx256m"),
                List.of("--pg-url", url, "--listen", "127.0.0.1:0", "--slot", "bigtx"));
             Connection c = TestPostgres.connect(url)) {
            Poller reader = new Poller(relay.base(), List.of("device_lists", "caches"), "now");
            assertEquals(200, reader.poll(100, 0));
            c.setAutoCommit(false);
            long committed;
            try (Statement st = c.createStatement()) {
                // one small transaction before and after, to check the boundaries
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (0, '@before:t', 'D')");
                c.commit();
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) "
                        + "SELECT g, '@user' || (g % 1000) || ':t', 'DEV' || g FROM generate_series(1, " + ROWS + ") g");
                st.execute("INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts) "
                        + "VALUES (1, 'get_user_by_id', ARRAY['@user1:t'], 0)");
                c.commit();
                committed = System.nanoTime();
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (" + (ROWS + 1)
                        + ", '@after:t', 'D')");
                c.commit();
            }
            // poll with limit=100 until the big transaction is in; no response may hold only part of it
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (reader.rows("device_lists").size() < 1 + ROWS) {
                assertTrue(System.nanoTime() < deadline, "timed out: " + reader.counts());
                assertEquals(200, reader.poll(100, 10_000), relay.output());
                int n = reader.rows("device_lists").size();
                assertTrue(n <= 1 || n == 1 + ROWS, "a response split the big transaction: " + n + " rows");
            }
            long received = System.nanoTime();
            System.out.printf("FIGURES %d-row transaction: readable over HTTP %.2f s after its commit (%.0f rows/s, relay -Xmx256m)%n",
                    ROWS, (received - committed) / 1e9, ROWS / ((received - committed) / 1e9));
            List<JsonNode> rows = reader.rows("device_lists");
            assertEquals(1 + ROWS, rows.size(), "the big transaction and nothing after it: limit stops at its end");
            long before = rows.get(0).get(0).asLong();
            long big = rows.get(1).get(0).asLong();
            assertTrue(big > before);
            BitSet seen = new BitSet(ROWS + 1);
            for (int i = 1; i < rows.size(); i++) {
                JsonNode r = rows.get(i);
                assertEquals(big, r.get(0).asLong(), "one position for the whole transaction");
                int id = r.get(1).asInt();
                assertTrue(!seen.get(id), "duplicate stream_id " + id);
                seen.set(id);
            }
            assertEquals(ROWS, seen.cardinality());
            assertEquals(1, reader.rows("caches").size(), "other stream of the same transaction");
            assertEquals(big, reader.rows("caches").get(0).get(0).asLong());

            reader.pollUntil(() -> reader.rows("device_lists").size() >= ROWS + 2, Duration.ofSeconds(60));
            assertTrue(reader.rows("device_lists").get(ROWS + 1).get(0).asLong() > big);
            assertTrue(relay.isAlive(), "relay survived: " + relay.output());
            assertTrue(!relay.output().contains("OutOfMemoryError"), relay.output());
        }
    }
}

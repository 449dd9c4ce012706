package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A 1,000,000-row transaction (plus 100,000 events joined with their state rows, in the same transaction) reaches
 * a reader whole, with limit=100, from a relay running in its own JVM with a 256 MB heap: the soft limit never
 * splits a transaction, and capture spills the transaction to disk instead of holding it on the heap.
 */
class LargeTransactionIT {
    static final int ROWS = 1_000_000;
    static final int EVENTS = 100_000;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void millionRowTransactionInOneResponseUnderSmallHeap() throws Exception {
        String url = TestPostgres.freshDatabase("bigtx");
        try (RelayProcess relay = RelayProcess.start(List.of("-Xmx256m"),
                List.of("--pg-url", url, "--listen", "127.0.0.1:0", "--slot", "bigtx", "--retention-rows", "3000000",
                        "--data-dir", java.nio.file.Files.createTempDirectory("bigtx").toString()));
             Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            long start = health(relay);
            c.setAutoCommit(false);
            st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (0, '@before:t', 'D')");
            c.commit();
            st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) "
                    + "SELECT g, '@user' || (g % 1000) || ':t', 'DEV' || g FROM generate_series(1, " + ROWS + ") g");
            st.execute("INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, processed,"
                    + " outlier, depth) SELECT g, g, '$ev' || g, 'm.room.member', '!room' || (g % 100) || ':t', true,"
                    + " false, g FROM generate_series(1, " + EVENTS + ") g");
            st.execute("INSERT INTO state_events (event_id, room_id, type, state_key) SELECT '$ev' || g,"
                    + " '!room' || (g % 100) || ':t', 'm.room.member', '@u' || g || ':t' FROM generate_series(1, "
                    + EVENTS + ") g");
            c.commit();
            long committed = System.nanoTime();
            st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (" + (ROWS + 1)
                    + ", '@after:t', 'D')");
            c.commit();
            c.setAutoCommit(true);

            // from the start: the one-row transaction, then, being under the limit, the whole big transaction;
            // until the relay has captured the big one, responses hold only the first (never part of the big one)
            Check first;
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            do {
                assertTrue(System.nanoTime() < deadline, "big transaction not delivered: " + relay.output());
                first = poll(relay, "device_lists=" + start + "&events=" + start);
            } while (first.rows.getOrDefault("device_lists", 0) <= 1 && first.rows.getOrDefault("events", 0) == 0);
            long received = System.nanoTime();
            System.out.printf("FIGURES %d-row transaction (+%d joined events): whole in one response %.2f s after its"
                    + " commit (%.0f rows/s, relay -Xmx256m)%n", ROWS, EVENTS, (received - committed) / 1e9,
                    (ROWS + EVENTS) / ((received - committed) / 1e9));
            assertEquals(1 + ROWS, first.rows.get("device_lists"), "the whole transaction despite limit=100");
            assertEquals(2, first.positions.get("device_lists"), "two transactions: the small one and the big one");
            assertEquals(ROWS, first.ids.cardinality(), "every stream_id once");
            assertEquals(EVENTS, first.rows.get("events"));
            assertEquals(EVENTS, first.stateKeysJoined, "every event got its state_key from the same transaction");
            assertEquals(first.lastPosition.get("device_lists"), first.lastPosition.get("events"),
                    "one position for all rows of the transaction");

            Check next = poll(relay, "device_lists=" + first.resume.get("device_lists"));
            assertEquals(1, next.rows.get("device_lists"), "the transaction after it");
            assertTrue(next.lastPosition.get("device_lists") > first.lastPosition.get("device_lists"));

            assertTrue(relay.isAlive(), relay.output());
            assertFalse(relay.output().contains("OutOfMemoryError"), relay.output());
        }
    }

    long health(RelayProcess relay) throws Exception {
        HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create(relay.base() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return Poller.JSON.readTree(h.body()).get("position").asLong();
    }

    /** What one response held, checked while streaming it (a million rows are not kept in the test's heap). */
    static final class Check {
        final Map<String, Integer> rows = new HashMap<>();
        final Map<String, Integer> positions = new HashMap<>();
        final Map<String, Long> lastPosition = new HashMap<>();
        final Map<String, Long> resume = new HashMap<>();
        final BitSet ids = new BitSet(ROWS + 2);
        int stateKeysJoined;
    }

    /** Long-polls with limit=100 until the response has rows, parsing it as a stream. */
    Check poll(RelayProcess relay, String tokens) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(relay.base()
                        + "/_synapse/replication?limit=100&timeout=120000&" + tokens))
                .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        Check check = new Check();
        try (JsonParser p = new JsonFactory().createParser(r.body())) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String stream = p.currentName();
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    if (key.equals("position")) {
                        check.resume.put(stream, p.getLongValue());
                    } else if (key.equals("rows")) {
                        readRows(p, stream, check);
                    } else {
                        p.skipChildren();
                    }
                }
            }
        }
        return check;
    }

    static void readRows(JsonParser p, String stream, Check check) throws Exception {
        long last = Long.MIN_VALUE;
        int rows = 0;
        int positions = 0;
        while (p.nextToken() == JsonToken.START_ARRAY) {
            p.nextToken();
            long position = p.getLongValue();
            assertTrue(position >= last, "positions never go back");
            if (position != last) {
                positions++;
            }
            last = position;
            p.nextToken();
            long id = p.getLongValue();
            if (stream.equals("device_lists") && id >= 1 && id <= ROWS) {
                assertFalse(check.ids.get((int) id), "duplicate stream_id " + id);
                check.ids.set((int) id);
            }
            // remaining fields; for events the state_key is field 5 (after position, ordering, id, room, type)
            int field = 2;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (stream.equals("events") && field == 5 && p.currentToken() == JsonToken.VALUE_STRING
                        && p.getText().equals("@u" + id + ":t")) {
                    check.stateKeysJoined++;
                }
                field++;
            }
            rows++;
        }
        check.rows.put(stream, rows);
        check.positions.put(stream, positions);
        check.lastPosition.put(stream, last);
    }
}

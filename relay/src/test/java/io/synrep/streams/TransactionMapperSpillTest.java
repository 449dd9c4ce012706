package io.synrep.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.RetentionConfig;
import io.synrep.log.Pages;
import io.synrep.log.Transaction;
import io.synrep.capture.TransactionBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mapper's joins over a transaction that spills: the same rows, byte for byte, as on the heap. */
class TransactionMapperSpillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Catalog CATALOG = Catalog.builtin();
    private static final long SMALL = 4096;
    private static final int EVENTS = 3_000;
    private static final int STATE_ROWS = 3_000;
    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));

    /** Row structs shaped like Debezium's values of public.events and public.state_events. */
    private static final Schema EVENTS_ROW = SchemaBuilder.struct().name("synrep.public.events.Value")
            .field("stream_ordering", Schema.INT64_SCHEMA)
            .field("event_id", Schema.STRING_SCHEMA)
            .field("room_id", Schema.STRING_SCHEMA)
            .field("type", Schema.STRING_SCHEMA)
            .build();
    private static final Schema STATE_ROW = SchemaBuilder.struct().name("synrep.public.state_events.Value")
            .field("event_id", Schema.STRING_SCHEMA)
            .field("room_id", Schema.STRING_SCHEMA)
            .field("type", Schema.STRING_SCHEMA)
            .field("state_key", Schema.STRING_SCHEMA)
            .build();
    /** The same tables with nullable columns, for rows whose join key is NULL. */
    private static final Schema OPTIONAL_EVENTS_ROW = SchemaBuilder.struct().name("synrep.public.events.Value")
            .field("stream_ordering", Schema.INT64_SCHEMA)
            .field("event_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("room_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("type", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    private static final Schema OPTIONAL_STATE_ROW = SchemaBuilder.struct().name("synrep.public.state_events.Value")
            .field("event_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("room_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("type", Schema.OPTIONAL_STRING_SCHEMA)
            .field("state_key", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    @TempDir
    Path spillDir;
    @TempDir
    Path heapDir;

    private static Struct event(Schema schema, long ordering, String eventId, String type) {
        return new Struct(schema).put("stream_ordering", ordering).put("event_id", eventId)
                .put("room_id", "!room" + ordering % 17 + ":example.org").put("type", type);
    }

    private static Struct state(Schema schema, String eventId, String stateKey) {
        return new Struct(schema).put("event_id", eventId).put("room_id", "!room:example.org")
                .put("type", "m.room.member").put("state_key", stateKey);
    }

    private static String eventId(int i) {
        return "$ev" + i + ":example.org";
    }

    /** Events without a state row: every fourth. */
    private static boolean isState(int i) {
        return i % 4 != 0;
    }

    private static String stateKey(int i) {
        return "@user" + i + ":example.org";
    }

    /**
     * One transaction of {@value #EVENTS} events and {@value #STATE_ROWS} state rows: in batches of 100 events,
     * each followed by the state rows of its events (most of them; a few come at the very end), plus state rows of
     * events outside the transaction, which must match nothing.
     */
    private static void feed(TransactionMapper<Transaction> mapper) {
        int stateRows = 0;
        List<Integer> late = new ArrayList<>();
        for (int batch = 0; batch < EVENTS; batch += 100) {
            for (int i = batch; i < batch + 100; i++) {
                mapper.change("public", "events", 'c', null,
                        event(EVENTS_ROW, i + 1, eventId(i), isState(i) ? "m.room.member" : "m.room.message"));
            }
            for (int i = batch; i < batch + 100; i++) {
                if (!isState(i)) {
                    continue;
                }
                if (i % 10 == 1) {
                    late.add(i);
                    continue;
                }
                mapper.change("public", "state_events", 'c', null, state(STATE_ROW, eventId(i), stateKey(i)));
                stateRows++;
            }
        }
        for (int i : late) {
            mapper.change("public", "state_events", 'c', null, state(STATE_ROW, eventId(i), stateKey(i)));
            stateRows++;
        }
        for (int j = 0; stateRows < STATE_ROWS; j++, stateRows++) {
            mapper.change("public", "state_events", 'c', null,
                    state(STATE_ROW, "$elsewhere" + j + ":example.org", "@nobody:example.org"));
        }
    }

    /** All rows of {@code stream}, read back through a log page: heap rows or the spilled file. */
    private static List<byte[]> rowsOf(Transaction tx, String stream) {
        return Pages.readBack(tx, stream);
    }

    /** A row's fields, parsed from its tail ({@code ,v1,v2,...}). */
    private static JsonNode fields(byte[] tail) throws IOException {
        String t = new String(tail, StandardCharsets.UTF_8);
        assertTrue(t.startsWith(","), t);
        return JSON.readTree("[" + t.substring(1) + "]");
    }

    private static long files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void aSpilledTransactionJoinsEveryStateKey() throws IOException {
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(CATALOG, new TransactionBuffer(spillDir, SMALL));
        feed(mapper);
        assertTrue(mapper.hasChanges());
        Transaction tx = mapper.finish(1000);

        assertTrue(tx.spilled().containsKey("events"), "the transaction spilled");
        assertFalse(tx.rows().containsKey("events"));
        assertTrue(tx.rows().isEmpty(), "no other stream has rows");
        assertEquals(Set.of("events"), tx.spilled().keySet(), "no other stream has rows");
        assertEquals(EVENTS, tx.rowCount());
        assertEquals(1, files(spillDir), "pending files are gone; the events file remains");

        List<byte[]> rows = rowsOf(tx, "events");
        assertEquals(EVENTS, rows.size());
        for (int i = 0; i < EVENTS; i++) {
            JsonNode f = fields(rows.get(i));
            assertEquals(6, f.size(), "stream_ordering, event_id, room_id, type, state_key, redacts");
            assertEquals(i + 1, f.get(0).asLong(), "WAL order");
            assertEquals(eventId(i), f.get(1).asText());
            if (isState(i)) {
                assertEquals(stateKey(i), f.get(4).asText(), "state_key of event " + i);
            } else {
                assertTrue(f.get(4).isNull(), "event " + i + " has no state row");
            }
            assertTrue(f.get(5).isNull(), "no redactions in this transaction");
        }
    }

    @Test
    void spilledAndHeapTransactionsGiveTheSameBytes() {
        TransactionMapper<Transaction> spilling = new TransactionMapper<>(CATALOG, new TransactionBuffer(spillDir, SMALL));
        TransactionMapper<Transaction> onHeap = new TransactionMapper<>(CATALOG, new TransactionBuffer(heapDir, Long.MAX_VALUE));
        feed(spilling);
        feed(onHeap);
        Transaction spilled = spilling.finish(1000);
        Transaction heap = onHeap.finish(1000);
        assertTrue(spilled.spilled().containsKey("events"));
        assertTrue(heap.spilled().isEmpty());
        assertEquals(EVENTS, heap.rows().get("events").size());

        List<byte[]> a = rowsOf(spilled, "events");
        List<byte[]> b = rowsOf(heap, "events");
        assertEquals(b.size(), a.size());
        for (int i = 0; i < b.size(); i++) {
            assertArrayEquals(b.get(i), a.get(i), "row " + i);
        }
    }

    @Test
    void joinsDoNotLeakIntoTheNextTransaction() throws IOException {
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(CATALOG, new TransactionBuffer(spillDir, SMALL));
        feed(mapper);
        mapper.finish(1000).discard();
        assertEquals(0, files(spillDir));
        assertFalse(mapper.hasChanges());

        // event 1's state row was in the previous transaction: it does not join here
        mapper.change("public", "events", 'c', null, event(EVENTS_ROW, 1, eventId(1), "m.room.member"));
        Transaction next = mapper.finish(2000);
        assertTrue(next.spilled().isEmpty(), "a small transaction after a large one stays on the heap");
        List<byte[]> rows = next.rows().get("events");
        assertEquals(1, rows.size());
        assertTrue(fields(rows.get(0)).get(4).isNull());
    }

    @Test
    void resetDropsTheSpillFilesOfAnAbandonedTransaction() throws IOException {
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(CATALOG, new TransactionBuffer(spillDir, SMALL));
        feed(mapper);
        assertTrue(files(spillDir) > 0);
        mapper.reset();
        assertEquals(0, files(spillDir));
        assertFalse(mapper.hasChanges());
    }

    @Test
    void aNullJoinKeyMatchesNothingOnTheHeapOrSpilled() throws IOException {
        for (long threshold : new long[] {Long.MAX_VALUE, 1}) {
            TransactionMapper<Transaction> mapper = new TransactionMapper<>(CATALOG, new TransactionBuffer(spillDir, threshold));
            mapper.change("public", "events", 'c', null, event(OPTIONAL_EVENTS_ROW, 1, null, "m.room.member"));
            mapper.change("public", "state_events", 'c', null, state(OPTIONAL_STATE_ROW, null, "@should-not-match"));
            mapper.change("public", "events", 'c', null,
                    event(OPTIONAL_EVENTS_ROW, 2, "$x:example.org", "m.room.member"));
            mapper.change("public", "state_events", 'c', null, state(OPTIONAL_STATE_ROW, "$x:example.org", "@x"));
            Transaction tx = mapper.finish(10);
            assertEquals(threshold == 1, tx.spilled().containsKey("events"), "threshold " + threshold);

            List<byte[]> rows = rowsOf(tx, "events");
            assertEquals(2, rows.size());
            JsonNode nullKey = fields(rows.get(0));
            assertTrue(nullKey.get(1).isNull());
            assertTrue(nullKey.get(4).isNull(), "NULL = NULL is not a match (threshold " + threshold + ")");
            assertEquals("@x", fields(rows.get(1)).get(4).asText(), "threshold " + threshold);
        }
    }
}

package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.RetentionConfig;
import io.synrep.log.Page;
import io.synrep.log.Pages;
import io.synrep.log.SpilledRows;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransactionBufferTest {
    /** Small enough that a few dozen short rows cross it. */
    private static final long THRESHOLD = 1000;
    /** Rows of at least 8 bytes pass {@link #THRESHOLD} well before this many. */
    private static final int MAX_ROWS_BEFORE_SPILL = 1000;
    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));

    @TempDir
    Path dir;

    private static byte[] tail(String stream, int i) {
        return (",\"" + stream + "#" + i + "\"").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> expectedTails(String stream, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(",\"" + stream + "#" + i + "\"");
        }
        return out;
    }

    private static List<String> strings(List<byte[]> tails) {
        return tails.stream().map(t -> new String(t, StandardCharsets.UTF_8)).toList();
    }

    private long filesInDir() throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    /**
     * Reads every row of {@code stream} back the way a response does: append the transaction to a log, read a page,
     * walk its entries (heap rows, or spilled files of int length + bytes per row). The log keeps the files.
     */
    static List<byte[]> readBack(Transaction tx, String stream) {
        return Pages.readBack(tx, stream);
    }


    private static List<byte[][]> pendingOf(TransactionBuffer buffer, String stream) {
        List<byte[][]> out = new ArrayList<>();
        buffer.forEachPending(stream, out::add);
        return out;
    }

    /** Pending fields of row {@code i}: every third row has a missing (null) middle field. */
    private static byte[][] pendingRow(int i) {
        byte[] middle = i % 3 == 0 ? null : ("\"m" + i + "\"").getBytes(StandardCharsets.UTF_8);
        return new byte[][] {Integer.toString(i).getBytes(StandardCharsets.UTF_8), middle, null};
    }

    private static void assertPendingRows(List<byte[][]> rows, int n) {
        assertEquals(n, rows.size());
        for (int i = 0; i < n; i++) {
            byte[][] expected = pendingRow(i);
            byte[][] actual = rows.get(i);
            assertEquals(3, actual.length, "field count of pending row " + i);
            for (int f = 0; f < 3; f++) {
                if (expected[f] == null) {
                    assertNull(actual[f], "pending row " + i + " field " + f + " stays missing");
                } else {
                    assertArrayEquals(expected[f], actual[f], "pending row " + i + " field " + f);
                }
            }
        }
    }

    // --- below the threshold ----------------------------------------------------------------------------------

    @Test
    void belowTheThresholdNothingTouchesTheDiskAndRowsStayOnTheHeapInOrder() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 5; i++) {
            buffer.add("events", tail("events", i));
        }
        buffer.add("receipts", tail("receipts", 0));
        assertFalse(buffer.spilled());
        assertEquals(0, filesInDir());

        Transaction tx = buffer.finish(42);
        assertEquals(42, tx.position());
        assertTrue(tx.spilled().isEmpty());
        assertEquals(List.of("events", "receipts"), List.copyOf(tx.rows().keySet()), "first-seen order");
        assertEquals(expectedTails("events", 5), strings(tx.rows().get("events")));
        assertEquals(expectedTails("receipts", 1), strings(tx.rows().get("receipts")));
        assertEquals(6, tx.rowCount());
        assertEquals(0, filesInDir());
    }

    @Test
    void belowTheThresholdPendingRowsComeBackFromTheHeapWithNullsKept() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 4; i++) {
            buffer.addPending("events", pendingRow(i));
        }
        assertFalse(buffer.spilled());
        assertEquals(0, filesInDir());
        assertEquals(List.of("events"), buffer.pendingStreams());
        assertPendingRows(pendingOf(buffer, "events"), 4);
        assertTrue(pendingOf(buffer, "events").isEmpty(), "pending rows are handed out once");
        assertTrue(buffer.finish(1).rows().isEmpty());
    }

    // --- above the threshold ----------------------------------------------------------------------------------

    @Test
    void aboveTheThresholdRowsBeforeAndAfterTheSwitchComeBackInOrderFromTheFile() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        int before = 0;
        while (!buffer.spilled()) {
            assertTrue(before < MAX_ROWS_BEFORE_SPILL, "never spilled");
            buffer.add("events", tail("events", before++));
        }
        assertTrue(before > 1, "some rows were held on the heap before the switch");
        assertTrue(filesInDir() > 0, "the heap rows moved to a file at the switch");
        int total = before + 200;
        for (int i = before; i < total; i++) {
            buffer.add("events", tail("events", i));
        }

        Transaction tx = buffer.finish(77);
        assertFalse(tx.rows().containsKey("events"), "a stream is in one of the two maps");
        SpilledRows spilled = tx.spilled().get("events");
        assertEquals(total, spilled.rows());
        assertEquals(total, tx.rowCount());
        long bytes = 0;
        for (String t : expectedTails("events", total)) {
            bytes += t.getBytes(StandardCharsets.UTF_8).length;
        }
        assertEquals(bytes, spilled.bytes());
        assertEquals(1, filesInDir());

        assertEquals(expectedTails("events", total), strings(readBack(tx, "events")));
    }

    @Test
    void aPageOfASpilledTransactionCountsItsRows() {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 300; i++) {
            buffer.add("events", tail("events", i));
        }
        Transaction tx = buffer.finish(10);
        StreamLog log = new StreamLog(List.of("events"), UNBOUNDED, InstantSource.fixed(Instant.EPOCH));
        log.start(9);
        log.append(tx);
        Page page = log.read(Map.of("events", 9L), 1000).pages().get("events");
        assertEquals(1, page.count(), "one entry holds the stream's whole transaction");
        assertFalse(page.isRow(0));
        assertEquals(300, page.rows());
        assertEquals(10, page.positionAt(0));
        page.release();
    }

    @Test
    void pendingRowsBeforeAndAfterTheSwitchComeBackInOrderWithNullsKept() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        int n = 0;
        while (!buffer.spilled()) {
            assertTrue(n < MAX_ROWS_BEFORE_SPILL, "never spilled");
            buffer.addPending("events", pendingRow(n++));
        }
        assertTrue(n > 1, "some pending rows were held on the heap before the switch");
        assertTrue(filesInDir() > 0, "the pending rows moved to a file at the switch");
        int total = n + 150;
        for (int i = n; i < total; i++) {
            buffer.addPending("events", pendingRow(i));
        }
        assertEquals(List.of("events"), buffer.pendingStreams());
        assertPendingRows(pendingOf(buffer, "events"), total);
        assertEquals(0, filesInDir(), "a pending file is deleted once read back");
        assertTrue(pendingOf(buffer, "events").isEmpty());
    }

    @Test
    void pendingRowsTurnedIntoFinalRowsWhileSpilledKeepTheirOrder() {
        // what the mapper does at the end of a transaction: read pending rows back and add them as final rows
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        int total = 200;
        for (int i = 0; i < total; i++) {
            buffer.addPending("events", pendingRow(i));
        }
        assertTrue(buffer.spilled());
        for (String stream : buffer.pendingStreams()) {
            buffer.forEachPending(stream, f -> buffer.add(stream,
                    (",\"" + stream + "#" + new String(f[0], StandardCharsets.UTF_8) + "\"")
                            .getBytes(StandardCharsets.UTF_8)));
        }
        Transaction tx = buffer.finish(5);
        assertEquals(expectedTails("events", total), strings(readBack(tx, "events")));
    }

    @Test
    void mixedStreamsSpillTogetherAndEachKeepsItsOwnOrder() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        // interleaved: a stream seen only before the switch, one seen before and after, one only after
        buffer.add("caches", tail("caches", 0));
        buffer.add("caches", tail("caches", 1));
        int events = 0;
        int receipts = 0;
        while (!buffer.spilled()) {
            assertTrue(events < MAX_ROWS_BEFORE_SPILL, "never spilled");
            buffer.add("events", tail("events", events++));
            buffer.add("receipts", tail("receipts", receipts++));
        }
        for (int i = 0; i < 100; i++) {
            buffer.add("events", tail("events", events++));
            if (i % 10 == 0) {
                buffer.add("receipts", tail("receipts", receipts++));
            }
        }
        buffer.add("typing", tail("typing", 0));
        Transaction tx = buffer.finish(500);

        assertTrue(tx.rows().isEmpty(), "once spilled, every stream of the transaction is in files");
        assertEquals(Set.of("caches", "events", "receipts", "typing"), tx.spilled().keySet());
        assertEquals(4, filesInDir());
        assertEquals(2 + events + receipts + 1, tx.rowCount());
        assertEquals(expectedTails("caches", 2), strings(readBack(tx, "caches")));
        assertEquals(expectedTails("events", events), strings(readBack(tx, "events")));
        assertEquals(expectedTails("receipts", receipts), strings(readBack(tx, "receipts")));
        assertEquals(expectedTails("typing", 1), strings(readBack(tx, "typing")));
    }

    @Test
    void theNextTransactionStartsOnTheHeapAgain() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 200; i++) {
            buffer.add("events", tail("events", i));
        }
        Transaction big = buffer.finish(1);
        assertFalse(buffer.spilled());
        buffer.add("events", tail("events", 0));
        buffer.add("events", tail("events", 1));
        Transaction small = buffer.finish(2);
        assertTrue(small.spilled().isEmpty());
        assertEquals(expectedTails("events", 2), strings(small.rows().get("events")));
        assertEquals(1, filesInDir(), "only the big transaction's file");
        big.discard();
        assertEquals(0, filesInDir());
    }

    // --- cleanup ----------------------------------------------------------------------------------------------

    @Test
    void resetDeletesEveryFile() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 50; i++) {
            buffer.add("events", tail("events", i));
            buffer.add("receipts", tail("receipts", i));
            buffer.addPending("backfill", pendingRow(i));
        }
        assertTrue(buffer.spilled());
        assertEquals(3, filesInDir(), "two row files and one pending file");

        buffer.reset();
        assertEquals(0, filesInDir());
        assertFalse(buffer.spilled());
        assertTrue(buffer.pendingStreams().isEmpty());

        // usable again, and nothing of the abandoned transaction leaks into the next one
        buffer.add("events", tail("events", 0));
        Transaction tx = buffer.finish(3);
        assertEquals(expectedTails("events", 1), strings(tx.rows().get("events")));
        assertTrue(tx.spilled().isEmpty());
        assertEquals(0, filesInDir());
    }

    @Test
    void finishDropsPendingRowsThatWereNeverReadBack() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 100; i++) {
            buffer.addPending("events", pendingRow(i));
        }
        buffer.add("receipts", tail("receipts", 0));
        assertEquals(2, filesInDir());
        Transaction tx = buffer.finish(4);
        assertEquals(1, filesInDir(), "only the receipts rows remain");
        assertTrue(buffer.pendingStreams().isEmpty());
        tx.discard();
        assertEquals(0, filesInDir());
    }

    @Test
    void aDiscardedTransactionDeletesItsFiles() throws IOException {
        TransactionBuffer buffer = new TransactionBuffer(dir, THRESHOLD);
        for (int i = 0; i < 100; i++) {
            buffer.add("events", tail("events", i));
            buffer.add("receipts", tail("receipts", i));
        }
        Transaction tx = buffer.finish(9);
        assertEquals(2, tx.spilled().size());
        assertEquals(2, filesInDir());
        tx.discard();
        assertEquals(0, filesInDir());
    }
}

package io.synrep.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.capture.TransactionBuffer;
import io.synrep.config.RetentionConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the log retains, serves and finally frees a large transaction's spill files. */
class SpillRetentionTest {
    private static final List<String> STREAMS = List.of("events", "receipts");
    /** Keeps one large transaction, drops it as soon as anything follows it (size bound) or a minute passes. */
    private static final RetentionConfig SMALL = new RetentionConfig(50, Long.MAX_VALUE, Duration.ofMinutes(1));
    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));


    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    private StreamLog log(RetentionConfig retention) {
        StreamLog log = new StreamLog(STREAMS, retention, clock);
        log.start(0);
        return log;
    }

    private static String row(String stream, long position, int i) {
        return ",\"" + stream + "@" + position + "#" + i + "\"";
    }

    /** A transaction whose {@code n} rows of {@code stream} are spilled (threshold 1: everything goes to a file). */
    private Transaction spilledTx(long position, String stream, int n) {
        TransactionBuffer buffer = new TransactionBuffer(dir, 1);
        for (int i = 0; i < n; i++) {
            buffer.add(stream, row(stream, position, i).getBytes(StandardCharsets.UTF_8));
        }
        Transaction tx = buffer.finish(position);
        assertEquals(n, tx.spilled().get(stream).rows());
        return tx;
    }

    private static Transaction heapTx(long position, String stream, int n) {
        List<byte[]> tails = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tails.add(row(stream, position, i).getBytes(StandardCharsets.UTF_8));
        }
        Map<String, List<byte[]>> rows = new LinkedHashMap<>();
        rows.put(stream, tails);
        return new Transaction(position, rows);
    }

    private static List<String> expected(String stream, long position, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(row(stream, position, i));
        }
        return out;
    }

    private static List<String> tails(Page page) {
        return Pages.tails(page).stream().map(t -> new String(t, StandardCharsets.UTF_8)).toList();
    }

    private static Page read(StreamLog log, String stream, long token, int limit) {
        return log.read(Map.of(stream, token), limit).pages().get(stream);
    }

    private long spillFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    // --- per-stream figures -----------------------------------------------------------------------------------

    @Test
    void streamStatsCountSpilledAndHeapRowsAndOutliveEviction() {
        StreamLog log = log(new RetentionConfig(60, Long.MAX_VALUE, Duration.ofDays(1)));
        log.append(spilledTx(10, "events", 50));
        log.append(heapTx(20, "events", 2));
        assertEquals(new StreamLog.StreamStats(52, 52, 20), log.streamStats("events"));
        log.append(heapTx(30, "events", 20)); // 72 rows > 60: the spilled transaction goes
        assertEquals(new StreamLog.StreamStats(72, 22, 30), log.streamStats("events"));
        StreamLog.Report report = log.report();
        assertEquals(log.streamStats("events"), report.streams().get("events"));
        assertEquals(72, report.totals().appendedRows());
        assertEquals(List.copyOf(STREAMS), List.copyOf(report.streams().keySet()));
        assertEquals(new StreamLog.StreamStats(0, 0, -1), log.streamStats(STREAMS.get(1)));
        assertThrows(IllegalArgumentException.class, () -> log.streamStats("nosuchstream"));
    }

    // --- reading a spilled entry ------------------------------------------------------------------------------

    @Test
    void limitOneStillReturnsTheWholeSpilledTransaction() throws IOException {
        StreamLog log = log(UNBOUNDED);
        log.append(spilledTx(10, "events", 50));
        log.append(heapTx(20, "events", 2));

        Page page = read(log, "events", 0, 1);
        assertEquals(1, page.count());
        assertFalse(page.isRow(0));
        assertEquals(50, page.rows());
        assertEquals(10, page.positionAt(0));
        assertEquals(10, page.position(), "cut after the spilled transaction: resume from its position");
        assertEquals(expected("events", 10, 50), tails(page));
        page.release();

        Page next = read(log, "events", page.position(), 1);
        assertEquals(2, next.count());
        assertTrue(next.isRow(0));
        assertEquals(2, next.rows());
        assertEquals(20, next.position(), "not cut: resume from the head");
        assertEquals(expected("events", 20, 2), tails(next));
        next.release();

        assertEquals(52, log.stats().rowsPerStream().get("events"));
        assertEquals(52, log.stats().retainedRows());
        assertEquals(1, spillFiles(), "the log still holds the file");
    }

    @Test
    void aSpilledTransactionAtTheHeadResumesFromTheHead() {
        StreamLog log = log(UNBOUNDED);
        log.append(spilledTx(10, "events", 7));
        log.advance(15);
        Page page = read(log, "events", 0, 1);
        assertEquals(7, page.rows());
        assertEquals(15, page.position());
        page.release();
    }

    @Test
    void aStreamNotInTheSpilledTransactionIsUnaffected() {
        StreamLog log = log(UNBOUNDED);
        log.append(spilledTx(10, "events", 5));
        Page receipts = read(log, "receipts", 0, 10);
        assertEquals(0, receipts.count());
        assertEquals(0, receipts.rows());
        assertEquals(10, receipts.position());
    }

    // --- freeing the file -------------------------------------------------------------------------------------

    @Test
    void evictedWhileAPageHoldsItTheFileLivesUntilThePageIsReleased() throws IOException {
        StreamLog log = log(SMALL);
        log.append(spilledTx(10, "events", 50));
        Page page = read(log, "events", 0, 1);
        assertEquals(50, page.rows());

        log.append(heapTx(20, "events", 1));
        assertEquals(10, log.horizon(), "the size bound dropped the spilled transaction");
        assertEquals(1, log.stats().retainedRows());
        assertThrows(PositionTooOldException.class, () -> read(log, "events", 0, 1));
        assertEquals(1, spillFiles(), "a page still reads the file");
        assertEquals(expected("events", 10, 50), tails(page), "and can still read it whole");

        page.release();
        assertEquals(0, spillFiles());
    }

    @Test
    void releasedFirstTheFileLivesUntilTheLogEvicts() throws IOException {
        StreamLog log = log(SMALL);
        log.append(spilledTx(10, "events", 50));
        read(log, "events", 0, 1).release();
        assertEquals(1, spillFiles(), "the log still retains the transaction");
        Page again = read(log, "events", 0, 100);
        assertEquals(expected("events", 10, 50), tails(again), "and still serves it");
        again.release();
        assertEquals(1, spillFiles());

        // age, not size, evicts this time
        clock.step(Duration.ofSeconds(59));
        log.expire();
        assertEquals(1, spillFiles(), "not yet a minute old");
        clock.step(Duration.ofSeconds(2));
        log.expire();
        assertEquals(10, log.horizon());
        assertEquals(0, log.stats().retainedRows());
        assertEquals(0, spillFiles());
    }

    @Test
    void everyPageMustBeReleasedAfterEviction() throws IOException {
        StreamLog log = log(SMALL);
        log.append(spilledTx(10, "events", 50));
        Page first = read(log, "events", 0, 1);
        Page second = read(log, "events", 0, 1);
        first.release();

        clock.step(Duration.ofMinutes(2));
        log.expire();
        assertEquals(1, spillFiles(), "the second page still holds it");
        second.release();
        assertEquals(0, spillFiles());
    }

    @Test
    void releaseThenEvictDeletesTheFileAtEviction() throws IOException {
        StreamLog log = log(SMALL);
        log.append(spilledTx(10, "events", 50));
        Page page = read(log, "events", 0, 1);
        page.release();
        assertEquals(1, spillFiles());

        log.append(heapTx(20, "events", 1));
        assertEquals(10, log.horizon());
        assertEquals(0, spillFiles());
    }

    @Test
    void aFileNeverReadIsDeletedAtEviction() throws IOException {
        StreamLog log = log(SMALL);
        log.append(spilledTx(10, "events", 50));
        log.append(spilledTx(20, "receipts", 3));
        assertEquals(1, spillFiles(), "the first transaction was dropped when the second came");
        assertEquals(3, log.stats().retainedRows());
        clock.step(Duration.ofMinutes(2));
        log.expire();
        assertEquals(0, spillFiles());
    }

    @Test
    void aReadThatFailsOnALaterStreamHoldsNoFile() throws IOException {
        StreamLog log = log(new RetentionConfig(52, Long.MAX_VALUE, Duration.ofMinutes(1)));
        log.append(heapTx(5, "receipts", 2));
        log.append(spilledTx(10, "events", 50));
        log.append(heapTx(20, "receipts", 1));
        assertEquals(5, log.horizon(), "the first transaction was dropped");

        // events' token is fine and its page would hold the file; receipts' token is too old
        Map<String, Long> tokens = new LinkedHashMap<>();
        tokens.put("events", 5L);
        tokens.put("receipts", 0L);
        assertThrows(PositionTooOldException.class, () -> log.read(tokens, 100));

        clock.step(Duration.ofMinutes(2));
        log.expire();
        assertEquals(0, spillFiles(), "the failed read took no reference it could not give back");
    }

    // --- the soft limit counts rows, not entries --------------------------------------------------------------

    @Test
    void theSoftLimitCountsTheRowsOfSpilledEntries() {
        StreamLog log = log(UNBOUNDED);
        log.append(heapTx(10, "events", 3));
        log.append(spilledTx(20, "events", 50));
        log.append(heapTx(30, "events", 2));

        Page first = read(log, "events", 0, 10);
        assertEquals(4, first.count(), "three rows and one spilled entry");
        assertEquals(53, first.rows());
        assertEquals(20, first.position());
        List<String> want = new ArrayList<>(expected("events", 10, 3));
        want.addAll(expected("events", 20, 50));
        assertEquals(want, tails(first));
        first.release();

        Page rest = read(log, "events", first.position(), 10);
        assertEquals(2, rest.rows());
        assertEquals(List.of(30L, 30L), List.of(rest.positionAt(0), rest.positionAt(1)));
        assertEquals(30, rest.position());

        // a limit met exactly by the first transaction stops before the spilled one
        Page exact = read(log, "events", 0, 3);
        assertEquals(3, exact.rows());
        assertEquals(10, exact.position());
        exact.release();

        // a limit below the spilled transaction's size after some rows still takes it whole
        Page over = read(log, "events", 0, 4);
        assertEquals(53, over.rows());
        assertEquals(20, over.position());
        over.release();
    }
}

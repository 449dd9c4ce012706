package io.synrep.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.RetentionConfig;
import io.synrep.protocol.Position;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StreamLogTest {
    private static final List<String> STREAMS = List.of("events", "receipts", "caches");
    private static final RetentionConfig UNBOUNDED = new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE,
            Duration.ofDays(365));


    private final ManualClock clock = new ManualClock();

    private StreamLog log(RetentionConfig retention, long start) {
        StreamLog log = new StreamLog(STREAMS, retention, clock);
        log.start(start);
        return log;
    }

    private static byte[] tail(String s) {
        return (",\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
    }

    /** A transaction at {@code position} with {@code n} rows in {@code stream}, tails {@code ,"<stream>@<pos>#i"}. */
    private static Transaction tx(long position, String stream, int n) {
        return tx(position, Map.of(stream, n));
    }

    private static Transaction tx(long position, Map<String, Integer> rowsPerStream) {
        Map<String, List<byte[]>> rows = new LinkedHashMap<>();
        rowsPerStream.forEach((stream, n) -> {
            List<byte[]> tails = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                tails.add(tail(stream + "@" + position + "#" + i));
            }
            rows.put(stream, tails);
        });
        return new Transaction(position, rows);
    }

    private static Page read(StreamLog log, String stream, long token, int limit) {
        return log.read(Map.of(stream, token), limit).pages().get(stream);
    }

    private static List<Long> positions(Page p) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < p.count(); i++) {
            out.add(p.positionAt(i));
        }
        return out;
    }

    private static List<String> tails(Page p) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < p.count(); i++) {
            out.add(new String(p.tailAt(i), StandardCharsets.UTF_8));
        }
        return out;
    }

    // --- start, append, read ----------------------------------------------------------------------------------

    @Test
    void startSetsHeadAndHorizon() {
        StreamLog log = new StreamLog(STREAMS, UNBOUNDED, clock);
        assertFalse(log.isStarted());
        assertThrows(IllegalStateException.class, () -> log.append(tx(10, "events", 1)));
        assertThrows(IllegalStateException.class, () -> log.read(Map.of("events", 0L), 10));
        log.start(100);
        assertTrue(log.isStarted());
        assertEquals(100, log.head());
        assertEquals(100, log.horizon());
        assertThrows(IllegalStateException.class, () -> log.start(200));
        assertEquals(List.copyOf(log.streams()), STREAMS);
        assertTrue(log.hasStream("events"));
        assertFalse(log.hasStream("typing"));
    }

    @Test
    void appendedRowsAreReadBackInOrder() {
        StreamLog log = log(UNBOUNDED, 100);
        assertTrue(log.append(tx(200, "events", 2)));
        assertTrue(log.append(tx(300, "events", 1)));
        assertEquals(300, log.head());
        Page p = read(log, "events", 100, 100);
        assertEquals("events", p.stream());
        assertEquals(List.of(200L, 200L, 300L), positions(p));
        assertEquals(List.of(",\"events@200#0\"", ",\"events@200#1\"", ",\"events@300#0\""), tails(p));
        assertEquals(300, p.position());
    }

    @Test
    void readAfterATokenReturnsOnlyLaterRows() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 2));
        log.append(tx(300, "events", 1));
        log.append(tx(400, "events", 3));
        assertEquals(List.of(300L, 400L, 400L, 400L), positions(read(log, "events", 200, 100)));
        assertEquals(List.of(400L, 400L, 400L), positions(read(log, "events", 300, 100)));
        // a token between two positions still starts strictly after it
        assertEquals(List.of(300L, 400L, 400L, 400L), positions(read(log, "events", 250, 100)));
    }

    @Test
    void oneSnapshotServesSeveralStreamsWithTheirOwnTokens() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, Map.of("events", 1, "receipts", 2)));
        log.append(tx(300, Map.of("receipts", 1)));
        Map<String, Long> tokens = new LinkedHashMap<>();
        tokens.put("events", 100L);
        tokens.put("receipts", 200L);
        StreamLog.Snapshot snap = log.read(tokens, 100);
        assertEquals(300, snap.head());
        assertEquals(100, snap.horizon());
        assertTrue(snap.hasRows());
        assertEquals(List.of(200L), positions(snap.pages().get("events")));
        assertEquals(300, snap.pages().get("events").position());
        assertEquals(List.of(300L), positions(snap.pages().get("receipts")));
        assertEquals(List.of(",\"receipts@300#0\""), tails(snap.pages().get("receipts")));
    }

    @Test
    void aStreamWithoutNewRowsButAMovedHeadGetsAnEmptyPageAtTheHead() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 1));
        Page receipts = read(log, "receipts", 100, 10);
        assertNotNull(receipts, "the head moved past the token, so the stream is reported");
        assertEquals(0, receipts.count());
        assertEquals(200, receipts.position());

        log.advance(500);
        Page events = read(log, "events", 200, 10);
        assertEquals(0, events.count());
        assertEquals(500, events.position());
        assertFalse(log.read(Map.of("events", 200L), 10).hasRows());
    }

    @Test
    void aStreamAtOrBeyondTheHeadIsAbsent() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 1));
        StreamLog.Snapshot atHead = log.read(Map.of("events", 200L, "receipts", 200L), 10);
        assertTrue(atHead.pages().isEmpty());
        assertFalse(atHead.hasRows());
        // ahead of the relay (still catching up): nothing to report yet, not an error
        assertTrue(log.read(Map.of("events", 900L), 10).pages().isEmpty());
        StreamLog.Snapshot fresh = log(UNBOUNDED, 100).read(Map.of("events", 100L), 10);
        assertTrue(fresh.pages().isEmpty());
    }

    @Test
    void resolveMapsOldestToTheHorizonAndNowToTheHead() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 1));
        assertEquals(100, log.resolve(Position.OLDEST));
        assertEquals(200, log.resolve(Position.NOW));
        assertEquals(150, log.resolve(150));
        assertEquals(List.of(200L), positions(read(log, "events", log.resolve(Position.OLDEST), 10)));
        assertNull(read(log, "events", log.resolve(Position.NOW), 10));
    }

    @Test
    void unknownStreamsAreRejected() {
        StreamLog log = log(UNBOUNDED, 100);
        assertThrows(IllegalArgumentException.class, () -> log.read(Map.of("typing", 100L), 10));
        assertThrows(IllegalArgumentException.class, () -> log.awaitRows(List.of("typing")));
    }

    @Test
    void aTransactionNamingAnUnknownStreamLeavesTheLogUntouched() {
        StreamLog log = log(UNBOUNDED, 100);
        Map<String, List<byte[]>> rows = new LinkedHashMap<>();
        rows.put("events", List.of(tail("a"), tail("b")));
        rows.put("typing", List.of(tail("c")));
        assertThrows(IllegalArgumentException.class, () -> log.append(new Transaction(200, rows)));
        assertEquals(100, log.head());
        assertEquals(0, log.stats().retainedRows());
        assertEquals(0, log.stats().rowsPerStream().get("events"));

        // the same position, appended properly afterwards, yields exactly its own rows
        assertTrue(log.append(tx(200, "events", 1)));
        assertEquals(List.of(",\"events@200#0\""), tails(read(log, "events", 100, 100)));
    }

    // --- soft limit ------------------------------------------------------------------------------------------------

    @Test
    void limitNeverSplitsATransaction() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 5));
        log.append(tx(300, "events", 1));
        Page p = read(log, "events", 100, 2);
        assertEquals(5, p.count());
        assertEquals(Collections.nCopies(5, 200L), positions(p));
        assertEquals(200, p.position(), "cut before 300: the reader resumes after the last row it got");

        Page rest = read(log, "events", p.position(), 2);
        assertEquals(List.of(300L), positions(rest));
        assertEquals(300, rest.position());
    }

    @Test
    void limitIsCheckedOnlyAtTransactionBoundaries() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 2));
        log.append(tx(300, "events", 2));
        log.append(tx(400, "events", 2));
        Page p = read(log, "events", 100, 3);
        assertEquals(List.of(200L, 200L, 300L, 300L), positions(p));
        assertEquals(300, p.position());
        Page exact = read(log, "events", 100, 2);
        assertEquals(List.of(200L, 200L), positions(exact));
        assertEquals(200, exact.position());
    }

    @Test
    void singleRowTransactionsAreCutExactlyAtTheLimit() {
        StreamLog log = log(UNBOUNDED, 100);
        for (long pos = 200; pos <= 600; pos += 100) {
            log.append(tx(pos, "events", 1));
        }
        Page p = read(log, "events", 100, 2);
        assertEquals(List.of(200L, 300L), positions(p));
        assertEquals(300, p.position());
    }

    @Test
    void anUncutPageResumesAtTheHead() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 5));
        log.advance(700);
        Page p = read(log, "events", 100, 2);
        assertEquals(5, p.count());
        assertEquals(700, p.position(), "nothing left to send: resume at the head, past the heartbeat");
    }

    // --- duplicates and advance ---------------------------------------------------------------------------------

    @Test
    void duplicateAndOldPositionsAreIgnored() {
        StreamLog log = log(UNBOUNDED, 100);
        assertFalse(log.append(tx(100, "events", 1)), "at the start position");
        assertFalse(log.append(tx(50, "events", 1)), "below the start position");
        assertTrue(log.append(tx(200, "events", 2)));
        assertFalse(log.append(tx(200, "events", 3)), "replayed duplicate");
        assertFalse(log.append(tx(150, "events", 1)), "older than the head");
        assertEquals(200, log.head());
        assertEquals(List.of(200L, 200L), positions(read(log, "events", 100, 100)));
        assertEquals(2, log.stats().retainedRows());
        assertEquals(2, log.stats().appendedRows());
    }

    @Test
    void advanceMovesTheHeadOnlyForward() {
        StreamLog log = log(UNBOUNDED, 100);
        log.advance(300);
        assertEquals(300, log.head());
        log.advance(200);
        assertEquals(300, log.head());
        log.advance(300);
        assertEquals(300, log.head());
        assertFalse(log.append(tx(250, "events", 1)), "the relay has already read past 250");
        assertTrue(log.append(tx(301, "events", 1)));
        assertEquals(301, log.head());
        assertEquals(100, log.horizon(), "advancing never drops anything");
    }

    @Test
    void emptyTransactionsMoveTheHead() {
        StreamLog log = log(UNBOUNDED, 100);
        assertTrue(log.append(new Transaction(200, Map.of())));
        assertEquals(200, log.head());
        assertEquals(0, log.stats().retainedRows());
    }

    // --- retention ----------------------------------------------------------------------------------------------

    @Test
    void retentionByRowsMovesTheHorizonToTheEvictedTransaction() {
        StreamLog log = log(new RetentionConfig(3, Long.MAX_VALUE, Duration.ofDays(1)), 100);
        log.append(tx(200, "events", 2));
        log.append(tx(300, "receipts", 1));
        assertEquals(100, log.horizon(), "3 rows fit");
        log.append(tx(400, "events", 1));
        assertEquals(200, log.horizon());
        assertEquals(2, log.stats().retainedRows());

        PositionTooOldException e = assertThrows(PositionTooOldException.class, () -> read(log, "events", 199, 10));
        assertEquals(200, e.earliest());
        assertThrows(PositionTooOldException.class, () -> read(log, "receipts", 100, 10));
        assertEquals(List.of(400L), positions(read(log, "events", 200, 10)), "token == horizon is served");
        assertEquals(List.of(300L), positions(read(log, "receipts", 200, 10)));
        assertEquals(200, log.resolve(Position.OLDEST));
    }

    @Test
    void anyTooOldTokenFailsTheWholeRead() {
        StreamLog log = log(new RetentionConfig(1, Long.MAX_VALUE, Duration.ofDays(1)), 100);
        log.append(tx(200, "events", 1));
        log.append(tx(300, "events", 1));
        Map<String, Long> tokens = new LinkedHashMap<>();
        tokens.put("events", 300L);
        tokens.put("receipts", 150L);
        PositionTooOldException e = assertThrows(PositionTooOldException.class, () -> log.read(tokens, 10));
        assertEquals(200, e.earliest());
    }

    @Test
    void theNewestTransactionIsKeptWholeEvenAboveMaxRows() {
        StreamLog log = log(new RetentionConfig(3, Long.MAX_VALUE, Duration.ofDays(1)), 100);
        log.append(tx(200, "events", 1));
        log.append(tx(300, "events", 10));
        assertEquals(200, log.horizon());
        assertEquals(10, log.stats().retainedRows());
        Page p = read(log, "events", 200, 100);
        assertEquals(Collections.nCopies(10, 300L), positions(p));

        log.append(tx(400, Map.of("events", 4, "receipts", 4)));
        assertEquals(300, log.horizon());
        assertEquals(8, log.stats().retainedRows(), "kept whole, across streams");
        assertEquals(4, read(log, "receipts", 300, 100).count());
    }

    @Test
    void retentionByBytesCountsEncodedBytesPlusOverhead() {
        // every tail here is 17 bytes: ,"events@X00#0"
        int rowCost = tail("events@200#0").length + StreamLog.ROW_OVERHEAD;
        StreamLog log = log(new RetentionConfig(Long.MAX_VALUE, 2L * rowCost, Duration.ofDays(1)), 100);
        log.append(tx(200, "events", 1));
        log.append(tx(300, "events", 1));
        assertEquals(100, log.horizon(), "exactly at the byte bound is fine");
        assertEquals(2L * rowCost, log.stats().retainedBytes());
        log.append(tx(400, "events", 1));
        assertEquals(200, log.horizon());
        assertEquals(2L * rowCost, log.stats().retainedBytes());
        PositionTooOldException e = assertThrows(PositionTooOldException.class, () -> read(log, "events", 100, 10));
        assertEquals(200, e.earliest());
        assertEquals(List.of(300L, 400L), positions(read(log, "events", 200, 10)));
    }

    @Test
    void retentionByAgeWithASteppedClock() {
        StreamLog log = log(new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofSeconds(60)), 100);
        log.append(tx(200, "events", 1));
        clock.step(Duration.ofSeconds(30));
        log.append(tx(300, "events", 1));

        clock.step(Duration.ofSeconds(30));
        log.expire();
        assertEquals(100, log.horizon(), "exactly max-age old is still retained");

        clock.step(Duration.ofMillis(1));
        log.expire();
        assertEquals(200, log.horizon());
        PositionTooOldException e = assertThrows(PositionTooOldException.class, () -> read(log, "events", 100, 10));
        assertEquals(200, e.earliest());
        assertEquals(List.of(300L), positions(read(log, "events", 200, 10)));

        // the last transaction goes too once it is old: it is dropped whole, never split
        clock.step(Duration.ofSeconds(30));
        log.expire();
        assertEquals(300, log.horizon());
        assertEquals(0, log.stats().retainedRows());
        assertNull(read(log, "events", 300, 10));
        assertThrows(PositionTooOldException.class, () -> read(log, "events", 299, 10));
    }

    @Test
    void appendAlsoAppliesTheAgeBound() {
        StreamLog log = log(new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofSeconds(10)), 100);
        log.append(tx(200, "events", 1));
        clock.step(Duration.ofSeconds(11));
        log.append(tx(300, "events", 1));
        assertEquals(200, log.horizon());
    }

    @Test
    void expireOnAnUnstartedLogIsHarmless() {
        StreamLog log = new StreamLog(STREAMS, UNBOUNDED, clock);
        log.expire();
        assertFalse(log.isStarted());
    }

    // --- waiters ------------------------------------------------------------------------------------------------

    @Test
    void awaitRowsCompletesOnAppendToOneOfItsStreamsOnly() {
        StreamLog log = log(UNBOUNDED, 100);
        CompletableFuture<Void> f = log.awaitRows(List.of("events", "receipts"));
        assertEquals(2, log.waiterCount());

        log.append(tx(200, "caches", 1));
        log.advance(250);
        assertFalse(f.isDone(), "rows for another stream, or a moved head, do not wake it");

        log.append(tx(300, "receipts", 1));
        assertTrue(f.isDone());
        assertFalse(f.isCompletedExceptionally());
        assertEquals(0, log.waiterCount(), "a completed waiter is dropped from every stream");
    }

    @Test
    void aDuplicateAppendWakesNobody() {
        StreamLog log = log(UNBOUNDED, 100);
        log.append(tx(200, "events", 1));
        CompletableFuture<Void> f = log.awaitRows(List.of("events"));
        assertFalse(log.append(tx(200, "events", 1)));
        assertFalse(f.isDone());
        log.cancel(f);
    }

    @Test
    void aWokenReaderSeesTheRowsThatWokeIt() {
        StreamLog log = log(UNBOUNDED, 100);
        CompletableFuture<Void> f = log.awaitRows(List.of("events"));
        AtomicReference<Page> seen = new AtomicReference<>();
        f.thenRun(() -> seen.set(read(log, "events", 100, 10)));
        log.append(tx(200, "events", 3));
        assertNotNull(seen.get());
        assertEquals(3, seen.get().count());
    }

    @Test
    void cancelDropsTheRegistration() {
        StreamLog log = log(UNBOUNDED, 100);
        CompletableFuture<Void> cancelled = log.awaitRows(List.of("events", "caches"));
        CompletableFuture<Void> kept = log.awaitRows(List.of("events"));
        assertEquals(3, log.waiterCount());

        log.cancel(cancelled);
        assertTrue(cancelled.isCancelled());
        assertEquals(1, log.waiterCount(), "only the other waiter is left");

        log.append(tx(200, "events", 1));
        assertTrue(kept.isDone());
        assertTrue(cancelled.isCancelled(), "a cancelled waiter is never completed by an append");
        assertEquals(0, log.waiterCount());
    }

    @Test
    void manyCancelledWaitersLeaveNothingBehind() {
        StreamLog log = log(UNBOUNDED, 100);
        for (int i = 0; i < 10_000; i++) {
            log.cancel(log.awaitRows(STREAMS));
        }
        assertEquals(0, log.waiterCount());
    }

    @Test
    void waitersRegisteredFromManyThreadsAreAllWoken() throws InterruptedException {
        StreamLog log = log(UNBOUNDED, 100);
        int threads = 8;
        int perThread = 500;
        List<CompletableFuture<Void>> all = new CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch registered = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        all.add(log.awaitRows(List.of("events")));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    registered.countDown();
                }
            });
            th.start();
        }
        go.countDown();
        assertTrue(registered.await(30, TimeUnit.SECONDS));
        assertEquals(threads * perThread, all.size());
        assertEquals(threads * perThread, log.waiterCount());
        log.append(tx(200, "events", 1));
        for (CompletableFuture<Void> f : all) {
            assertTrue(f.isDone());
        }
        assertEquals(0, log.waiterCount());
    }

    // --- concurrency ----------------------------------------------------------------------------------------

    @Test
    void concurrentReadersNeverSeeAHalfAppendedTransaction() throws InterruptedException {
        StreamLog log = log(new RetentionConfig(5_000, Long.MAX_VALUE, Duration.ofDays(1)), 0);
        int transactions = 3_000;
        int readers = 4;
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(readers + 1);
        AtomicBoolean writing = new AtomicBoolean(true);
        List<String> problems = new CopyOnWriteArrayList<>();
        // snapshots with rows checked while the writer was still appending; the writer waits for one every 100
        // transactions, so the readers really interleave with it even when it could finish in one time slice
        java.util.concurrent.atomic.AtomicLong checked = new java.util.concurrent.atomic.AtomicLong();

        Thread writer = new Thread(() -> {
            try {
                go.await();
                for (int i = 1; i <= transactions; i++) {
                    // every transaction: 3 rows in events and 1 in receipts
                    log.append(tx(i * 10L, Map.of("events", 3, "receipts", 1)));
                    if (i % 100 == 0) {
                        long before = checked.get();
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (checked.get() == before && problems.isEmpty()) {
                            if (System.nanoTime() > deadline) {
                                problems.add("the readers checked no snapshot with rows for 10 s (at transaction "
                                        + i + ")");
                                return;
                            }
                            Thread.yield();
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                writing.set(false);
                done.countDown();
            }
        });
        writer.start();
        for (int r = 0; r < readers; r++) {
            Thread reader = new Thread(() -> {
                try {
                    go.await();
                    while (writing.get() && problems.isEmpty()) {
                        long token = log.resolve(Position.OLDEST);
                        Map<String, Long> tokens = Map.of("events", token, "receipts", token);
                        StreamLog.Snapshot snap;
                        try {
                            snap = log.read(tokens, 7);
                        } catch (PositionTooOldException e) {
                            continue; // the horizon moved between resolve and read
                        }
                        check(snap, problems);
                        if (snap.pages().get("events") != null && writing.get()) {
                            checked.incrementAndGet();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            });
            reader.start();
        }
        go.countDown();
        assertTrue(done.await(60, TimeUnit.SECONDS));
        assertEquals(List.of(), problems);
        assertEquals(transactions * 10L, log.head());
        assertTrue(checked.get() >= transactions / 100, "snapshots with rows checked while appending: " + checked);
    }

    private static void check(StreamLog.Snapshot snap, List<String> problems) {
        Page events = snap.pages().get("events");
        Page receipts = snap.pages().get("receipts");
        if ((events == null) != (receipts == null)) {
            problems.add("one stream reported without the other");
            return;
        }
        if (events == null) {
            return;
        }
        Map<Long, Integer> perTx = new LinkedHashMap<>();
        long last = -1;
        for (int i = 0; i < events.count(); i++) {
            long p = events.positionAt(i);
            if (p < last) {
                problems.add("positions out of order: " + p + " after " + last);
            }
            last = p;
            perTx.merge(p, 1, Integer::sum);
        }
        perTx.forEach((p, n) -> {
            if (n != 3) {
                problems.add("transaction " + p + " has " + n + " of its 3 rows");
            }
        });
        if (events.count() > 0 && events.positionAt(0) <= snap.horizon()) {
            problems.add("row at or below the horizon");
        }
        if (events.position() > snap.head() || receipts.position() > snap.head()) {
            problems.add("resume position beyond the head");
        }
    }
}

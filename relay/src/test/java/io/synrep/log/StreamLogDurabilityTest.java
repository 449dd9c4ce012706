package io.synrep.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.RetentionConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What the relay confirms to the slot and how the log restarts: {@link StreamLog#confirmable()} never passes a
 * retained row, {@link StreamLog#start(long, long)} serves tokens from the saved horizon while skipping replayed
 * transactions, {@link StreamLog#evictThrough} and {@link StreamLog#reset} move the horizon.
 */
class StreamLogDurabilityTest {
    private static final List<String> STREAMS = List.of("events", "receipts");
    private final ManualClock clock = new ManualClock();

    private StreamLog log(long maxRows) {
        return new StreamLog(STREAMS, new RetentionConfig(maxRows, Long.MAX_VALUE, Duration.ofHours(1)), clock);
    }

    private static Transaction tx(long position, String stream) {
        return new Transaction(position, Map.of(stream, List.of((",\"" + position + "\"").getBytes(StandardCharsets.UTF_8))));
    }

    private static int rows(StreamLog log, String stream, long token) {
        Page p = log.read(Map.of(stream, token), 1000).pages().get(stream);
        return p == null ? 0 : p.count();
    }

    @Test
    void confirmableIsTheHeadWhenNothingIsRetainedElseJustBelowTheOldestRow() {
        StreamLog log = log(2);
        log.start(100);
        assertEquals(100, log.confirmable());
        log.advance(150);
        assertEquals(150, log.confirmable(), "heartbeats move it while nothing is retained");
        log.append(tx(200, "events"));
        assertEquals(199, log.confirmable());
        log.advance(250);
        assertEquals(199, log.confirmable(), "a heartbeat must not pass a retained row");
        log.append(tx(300, "receipts"));
        log.append(tx(400, "events"));
        assertEquals(200, log.horizon(), "the oldest of three rows was evicted (max 2)");
        assertEquals(299, log.confirmable());
    }

    @Test
    void restartServesTokensFromTheHorizonAndSkipsTransactionsAtOrBelowTheHead() {
        StreamLog log = log(100);
        log.start(200, 350);
        assertEquals(200, log.horizon());
        assertEquals(350, log.head());
        assertFalse(log.append(tx(300, "events")), "replayed and already evicted before the restart");
        assertFalse(log.append(tx(350, "events")));
        assertTrue(log.append(tx(400, "events")));
        assertEquals(1, rows(log, "events", 200), "a token at the horizon is served: only rows after the head exist");
        assertEquals(1, rows(log, "events", 250));
        assertThrows(PositionTooOldException.class, () -> log.read(Map.of("events", 199L), 10));
        assertThrows(IllegalArgumentException.class, () -> log(1).start(300, 200));
    }

    @Test
    void evictThroughDropsWholeTransactionsAndMovesTheHorizon() {
        StreamLog log = log(100);
        log.start(0);
        for (long p = 10; p <= 50; p += 10) {
            log.append(tx(p, p % 20 == 0 ? "receipts" : "events"));
        }
        assertEquals(0, log.evictThrough(5));
        assertEquals(0, log.horizon());
        assertEquals(3, log.evictThrough(35));
        assertEquals(30, log.horizon());
        assertEquals(39, log.confirmable());
        assertEquals(2, log.stats().retainedRows());
        assertThrows(PositionTooOldException.class, () -> log.read(Map.of("events", 20L), 10));
        assertEquals(1, rows(log, "events", 30));
        assertEquals(1, rows(log, "receipts", 30));
    }

    @Test
    void resetDropsEverythingAndWakesWaiters() {
        StreamLog log = log(100);
        log.start(0);
        log.append(tx(10, "events"));
        CompletableFuture<Void> waiter = log.awaitRows(List.of("receipts"));
        log.reset(1000);
        assertTrue(waiter.isDone(), "a reset wakes readers so they learn their token is too old");
        assertEquals(1000, log.horizon());
        assertEquals(1000, log.head());
        assertEquals(0, log.stats().retainedRows());
        assertThrows(PositionTooOldException.class, () -> log.read(Map.of("events", 10L), 10));
        assertFalse(log.append(tx(900, "events")), "the new history starts at the reset position");
        assertTrue(log.append(tx(1100, "events")));
        assertEquals(1, rows(log, "events", 1000));
    }

    @Test
    void nowSkipsWhatTheRestartedRelayIsStillReplaying() {
        StreamLog log = log(100);
        log.start(100);
        log.skipHistoryThrough(500);
        assertEquals(500, log.resolve(io.synrep.protocol.Position.NOW), "replaying: now is the writer's position at start");
        assertEquals(100, log.resolve(io.synrep.protocol.Position.OLDEST));
        log.append(tx(300, "events"));
        assertEquals(500, log.resolve(io.synrep.protocol.Position.NOW));
        log.append(tx(600, "events"));
        assertEquals(600, log.resolve(io.synrep.protocol.Position.NOW), "caught up: now is the head again");
    }
}

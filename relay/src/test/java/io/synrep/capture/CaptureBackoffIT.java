package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.CaptureConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.it.TestPostgres;
import io.synrep.log.StreamLog;
import io.synrep.streams.Catalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Capture's reconnects wait by the documented schedule (README, "Restarts, replay and crash safety": "exponential
 * backoff (0.5 s doubling to 30 s, with jitter)"), with a real PostgreSQL and a real Debezium engine: the slot's
 * walsender is terminated while capture streams, and the writer then stays "not ready" (the reconnect hook throws)
 * for several attempts. Capture's reconnect attempts go through a recording scheduler that runs them at once, so the
 * test reads the delays capture asked for instead of waiting them out; the jitter comes from an injected source
 * alternating 0 and 0.5 (factors 0.8 and 1.0).
 */
class CaptureBackoffIT {
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void reconnectsWaitByTheBackoffScheduleAndStartOverOnceCaptureStreamedAgain() throws Exception {
        String url = TestPostgres.freshDatabase("backoff");
        String slot = "backoff_" + ProcessHandle.current().pid();
        CaptureConfig config = new CaptureConfig(url, null, null, slot, slot, Duration.ofMillis(200),
                Duration.ofMillis(10));
        Catalog catalog = Catalog.builtin();
        SlotSetup.Prepared prepared = SlotSetup.prepare(config, catalog, null, null, true);
        StreamLog log = new StreamLog(catalog.streamNames(), RetentionConfig.defaults(), InstantSource.system());
        log.start(prepared.horizon(), prepared.head());
        StateKeeper keeper = new StateKeeper(new FileStateStore(Files.createTempDirectory("synrep-backoff")),
                prepared.state(), log::horizon);
        keeper.replace(prepared.state());

        AtomicInteger notReady = new AtomicInteger();
        Capture capture = new Capture(config, prepared.publications().streamed(), catalog, log, keeper, () -> {
            if (notReady.getAndDecrement() > 0) {
                throw new SQLException("the writer is not ready (test)");
            }
        }, 64 * 1024);
        List<Long> delays = new ArrayList<>();
        ExecutorService attempts = Executors.newSingleThreadExecutor();
        AtomicInteger draws = new AtomicInteger();
        DoubleSupplier jitter = () -> draws.getAndIncrement() % 2 == 0 ? 0.0 : 0.5;
        capture.retryWith(new io.synrep.protocol.Backoff(500, 30_000, 0.2, jitter), (attempt, delayMillis) -> {
            synchronized (delays) {
                delays.add(delayMillis);
            }
            attempts.execute(attempt);
        });
        capture.start();
        try (Connection writer = TestPostgres.connect(url)) {
            await(() -> capture.state() == Capture.State.STREAMING, "capture streams");
            insertEvent(writer, "$first");
            await(() -> log.stats().appendedRows() >= 1, "the first row is captured");

            // the connection drops, and the writer is not ready for the next six attempts
            notReady.set(6);
            long restarts = capture.restarts();
            terminateWalsender(url, slot);
            await(() -> capture.restarts() > restarts && capture.state() == Capture.State.STREAMING,
                    "capture reconnects once the writer is ready");
            // 0.5 s doubling to 30 s, each scaled by 0.8 or 1.0 as the jitter source said
            assertEquals(List.of(400L, 1000L, 1600L, 4000L, 6400L, 16000L, 24000L), recorded(delays));

            // streamed again (a row went through): the next drop starts from the first wait again
            insertEvent(writer, "$second");
            await(() -> log.stats().appendedRows() >= 2, "the second row is captured after the reconnect");
            long again = capture.restarts();
            terminateWalsender(url, slot);
            await(() -> capture.restarts() > again && capture.state() == Capture.State.STREAMING,
                    "capture reconnects after the second drop");
            List<Long> all = recorded(delays);
            assertEquals(8, all.size(), "one attempt after the second drop: " + all);
            // the eighth jitter draw is 0.5 (factor 1.0): the first wait, 500 ms, not 30 s
            assertEquals(500L, all.get(7), "the schedule starts over after capture streamed: " + all);
        } finally {
            capture.close();
            attempts.shutdownNow();
            keeper.close();
            try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('" + slot + "') FROM pg_replication_slots "
                        + "WHERE slot_name = '" + slot + "' AND NOT active");
            }
        }
    }

    private static List<Long> recorded(List<Long> delays) {
        synchronized (delays) {
            return List.copyOf(delays);
        }
    }

    /** Ends the walsender that streams the slot, as a restarted writer or a dropped connection would. */
    private static void terminateWalsender(String url, String slot) throws Exception {
        try (Connection c = TestPostgres.connect(url); PreparedStatement ps = c.prepareStatement(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ? AND active")) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                ps.setString(1, slot);
                try (var rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "slot " + slot + " has no walsender to end");
                Thread.sleep(20);
            }
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out: " + what);
            Thread.sleep(10);
        }
    }

    private static void insertEvent(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ev = c.prepareStatement("INSERT INTO events (topological_ordering, event_id, type, "
                + "room_id, content, processed, outlier, depth, origin_server_ts, received_ts, sender, stream_ordering) "
                + "VALUES (1, ?, 'm.room.message', '!backoff:test', '{}', true, false, 1, 0, 0, '@b:test', "
                + "nextval('events_stream_seq'))")) {
            ev.setString(1, eventId);
            ev.executeUpdate();
        }
    }
}

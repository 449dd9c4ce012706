package io.synrep.capture;

import io.synrep.log.StreamLog;
import io.synrep.protocol.Position;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's progress lines: while it replays the WAL written before its start, a line every
 * {@link #REPLAY_PROGRESS_NANOS} and one when it has caught up (and how long that took); then a steady line every
 * ten seconds with rates, positions, lag and the WAL the slot holds.
 *
 * <p>{@link #checkCaughtUp()} and {@link #report()} run on one thread; {@link #caughtUpMillis()} may be read from any.
 */
public final class CaptureProgress {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureProgress.class);
    /** Replay (catch-up after a start) reports every this many nanoseconds, more often than the steady line. */
    public static final long REPLAY_PROGRESS_NANOS = 2_000_000_000L;

    private final Capture capture;
    private final StreamLog log;
    private final WriterProbe writer;
    private final WalGuard guard;
    private final long startedAtNanos;
    private final long writerAtStart;
    private volatile long caughtUpMillis = -1;
    private long replayReportedAt = System.nanoTime();
    private long replayRowsReported;
    private long lastRows;
    private long lastTick = System.nanoTime();

    /**
     * @param startedAtNanos {@link System#nanoTime()} when the relay began to start
     * @param writerAtStart  the writer's WAL position when the relay started, or -1 when unknown (no catch-up line)
     */
    public CaptureProgress(Capture capture, StreamLog log, WriterProbe writer, WalGuard guard, long startedAtNanos,
                           long writerAtStart) {
        this.capture = capture;
        this.log = log;
        this.writer = writer;
        this.guard = guard;
        this.startedAtNanos = startedAtNanos;
        this.writerAtStart = writerAtStart;
    }

    /** Milliseconds from start until the relay had read the WAL the writer had written at start, or -1. */
    public long caughtUpMillis() {
        return caughtUpMillis;
    }

    /** Until caught up: whether the log has reached the writer's position at start; replay lines meanwhile. */
    public void checkCaughtUp() {
        if (caughtUpMillis >= 0 || writerAtStart < 0) {
            return;
        }
        StreamLog.Stats s = log.stats(); // head and counts from one snapshot: the capture counters trail appends
        if (s.head() < writerAtStart) {
            replayProgress(s);
            return;
        }
        caughtUpMillis = (System.nanoTime() - startedAtNanos) / 1_000_000;
        LOG.info("caught up with the writer's WAL at start ({}) {} ms after start: {} transactions, {} rows replayed",
                Position.formatLsn(writerAtStart), caughtUpMillis, s.appendedTransactions(), s.appendedRows());
    }

    /** While replaying the WAL written before the start: rows so far, their rate, and the WAL left to read. */
    private void replayProgress(StreamLog.Stats s) {
        long now = System.nanoTime();
        if (now - replayReportedAt < REPLAY_PROGRESS_NANOS) {
            return;
        }
        double rate = (s.appendedRows() - replayRowsReported) / ((now - replayReportedAt) / 1e9);
        replayReportedAt = now;
        replayRowsReported = s.appendedRows();
        long left = s.head() < 0 ? -1 : writerAtStart - s.head();
        LOG.info("replaying: {} rows in {} transactions, {} rows/s, {} bytes of WAL left to {} (the writer's position "
                        + "at start)", s.appendedRows(), s.appendedTransactions(), String.format("%.0f", rate),
                left < 0 ? "?" : Long.toString(left), Position.formatLsn(writerAtStart));
    }

    /** The steady line: rows per second since the last one, totals, positions, lag and the WAL the slot holds. */
    public void report() {
        long rows = capture.rows();
        long now = System.nanoTime();
        double rate = (rows - lastRows) / ((now - lastTick) / 1e9);
        lastRows = rows;
        lastTick = now;
        StreamLog.Stats s = log.stats();
        OptionalLong w = writer.get();
        String lag = w.isPresent() ? Long.toString(Math.max(0, w.getAsLong() - s.head())) : "?";
        SlotSetup.WalHeld held = guard.walHeld();
        LOG.info("capture {}: {} rows/s, {} rows total, position {} ({}), lag {} bytes, retained {} rows, horizon {}, "
                        + "slot confirmed to {}, WAL held {} bytes ({} past the confirmed position)",
                capture.state().name().toLowerCase(), String.format("%.0f", rate), rows, s.head(),
                Position.formatLsn(s.head()), lag, s.retainedRows(), s.horizon(), capture.confirmed(),
                held.retained(), held.confirmed());
    }
}

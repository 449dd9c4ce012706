package io.synrep.capture;

import io.synrep.log.StreamLog;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the WAL the slot holds under a cap. Every check (once a second) samples the slot's held WAL and the writer's
 * position, hands the position to the {@link Nudge}, and, past the cap on WAL held beyond the slot's confirmed
 * position, drops the log's retained rows in the oldest half of the cap, so that the slot can advance and settle
 * well under the cap rather than at its edge. When nothing can be dropped because capture itself is behind, it warns
 * at most once a minute.
 *
 * <p>The samples are what status, readiness and metrics report: they never ask the database themselves.
 * {@link #check()} runs on one thread; the samples may be read from any.
 */
public final class WalGuard {
    private static final Logger LOG = LoggerFactory.getLogger(WalGuard.class);

    private final String slot;
    private final long cap;
    private final StreamLog log;
    private final WriterProbe writer;
    private final Nudge nudge;
    private volatile SlotSetup.WalHeld walHeld = SlotSetup.WalHeld.UNKNOWN;
    private volatile long writerSampled = -1;
    private volatile long lagSampled = -1;
    private long warnedAt;

    /** @param cap the most WAL bytes the slot may hold past its confirmed position ({@code --max-wal-held}) */
    public WalGuard(String slot, long cap, StreamLog log, WriterProbe writer, Nudge nudge) {
        this.slot = slot;
        this.cap = cap;
        this.log = log;
        this.writer = writer;
        this.nudge = nudge;
    }

    /** Samples, nudges and enforces the cap; a failure is logged at DEBUG and the next check tries again. */
    public void check() {
        try {
            SlotSetup.WalHeld h = writer.walHeld(slot);
            walHeld = h;
            OptionalLong w = writer.get();
            if (w.isEmpty()) {
                writerSampled = -1;
                lagSampled = -1;
                return;
            }
            writerSampled = w.getAsLong();
            lagSampled = Math.max(0, w.getAsLong() - log.head());
            nudge.check(w.getAsLong());
            long held = h.confirmed();
            if (held <= cap) {
                return;
            }
            long dropped = log.evictThrough(w.getAsLong() - cap / 2);
            long now = System.nanoTime();
            if (dropped > 0) {
                LOG.warn("slot {} holds {} bytes of WAL past its confirmed position, over --max-wal-held {}: dropped {} "
                        + "retained rows; the horizon is now {} and readers behind it get 410", slot, held, cap,
                        dropped, log.horizon());
            } else if (log.confirmable() < w.getAsLong() - cap && now - warnedAt > 60_000_000_000L) {
                warnedAt = now;
                LOG.warn("slot {} holds {} bytes of WAL past its confirmed position, over --max-wal-held {}, and the "
                        + "relay has not read past {}: capture is behind the writer", slot, held, cap,
                        log.confirmable());
            }
        } catch (RuntimeException e) {
            LOG.debug("WAL guard: {}", e.getMessage());
        }
    }

    /** The WAL the slot held at the last check; -1 figures before the first or when it could not be asked. */
    public SlotSetup.WalHeld walHeld() {
        return walHeld;
    }

    /** The writer's WAL position at the last check, or -1. */
    public long writerPosition() {
        return writerSampled;
    }

    /** Bytes of WAL between the log's head and the writer's position at the last check, or -1. */
    public long captureLag() {
        return lagSampled;
    }
}

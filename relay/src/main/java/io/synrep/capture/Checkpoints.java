package io.synrep.capture;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Records at which capture could resume (transaction ends and heartbeats), kept until the slot may be confirmed
 * past them. The slot may only be confirmed at a position whose rows the log no longer retains, which can be far
 * behind the newest record, so older candidates must be remembered: the newest one always, and earlier ones when
 * at least {@code spacingMillis} or {@code spacingBytes} of WAL after the previous one kept, at most
 * {@code capacity} of them (thinned by half when full).
 * Sampling only makes the confirmed position coarser, which costs replay after a restart, never correctness.
 *
 * <p>Not thread-safe: used by the capture thread only.
 *
 * @param <E> the record type handed back for marking
 */
final class Checkpoints<E> {
    private record Candidate<E>(long position, E record, long atMillis) {}

    private final long spacingMillis;
    private final long spacingBytes;
    private final int capacity;
    private final ArrayDeque<Candidate<E>> sampled = new ArrayDeque<>();
    private Candidate<E> latest;
    private long marked;

    /** @param marked the position capture resumed after: candidates at or below it are never handed out */
    Checkpoints(long marked, long spacingMillis, long spacingBytes, int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be >= 2");
        }
        this.marked = marked;
        this.spacingMillis = spacingMillis;
        this.spacingBytes = spacingBytes;
        this.capacity = capacity;
    }

    /** A record at {@code position} after which capture could resume. Positions never decrease. */
    void offer(long position, E record, long nowMillis) {
        if (position <= marked) {
            return;
        }
        Candidate<E> c = new Candidate<>(position, record, nowMillis);
        if (latest != null && (sampled.isEmpty()
                || latest.atMillis() - sampled.peekLast().atMillis() >= spacingMillis
                || latest.position() - sampled.peekLast().position() >= spacingBytes)) {
            sampled.addLast(latest);
            if (sampled.size() > capacity) {
                thin();
            }
        }
        latest = c;
    }

    /**
     * The newest candidate at or below {@code safe} that is newer than the last one taken, or null. Candidates at
     * or below it are forgotten.
     */
    E take(long safe) {
        Candidate<E> best = null;
        if (latest != null && latest.position() <= safe) {
            best = latest;
            latest = null;
            sampled.clear();
        } else {
            while (!sampled.isEmpty() && sampled.peekFirst().position() <= safe) {
                best = sampled.removeFirst();
            }
        }
        if (best == null || best.position() <= marked) {
            return null;
        }
        marked = best.position();
        return best.record();
    }

    /** The position of the last candidate taken (or the starting point). */
    long marked() {
        return marked;
    }

    int size() {
        return sampled.size() + (latest == null ? 0 : 1);
    }

    private void thin() {
        boolean drop = false;
        for (Iterator<Candidate<E>> it = sampled.iterator(); it.hasNext(); ) {
            it.next();
            if (drop) {
                it.remove();
            }
            drop = !drop;
        }
    }
}

package io.synrep.protocol;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The one retry policy of Synrep: waits that start at a first value and double up to a maximum, each scaled by a
 * random factor in {@code [1 - jitter, 1 + jitter]} so that many clients that failed together do not retry in step;
 * {@link #reset()} after a success starts over. Readers use it between failed requests to a relay (the
 * {@code Retry-After} of a 503 takes precedence); capture uses it between reconnects to PostgreSQL.
 *
 * <p>Not thread-safe: one retry loop owns an instance.
 */
public final class Backoff {
    private final long firstMillis;
    private final long maxMillis;
    private final double jitter;
    /** Returns values in [0, 1). */
    private final DoubleSupplier random;
    private long nextMillis;

    /**
     * @param firstMillis the first wait, at least 0
     * @param maxMillis   the longest wait before jitter, at least {@code firstMillis}
     * @param jitter      the fraction each wait may vary by, in [0, 1)
     */
    public Backoff(long firstMillis, long maxMillis, double jitter) {
        this(firstMillis, maxMillis, jitter, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** As {@link #Backoff(long, long, double)} with {@code random} returning values in [0, 1), for tests. */
    public Backoff(long firstMillis, long maxMillis, double jitter, DoubleSupplier random) {
        if (firstMillis < 0 || maxMillis < firstMillis || jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("backoff needs 0 <= first <= max and jitter in [0, 1), was "
                    + firstMillis + ", " + maxMillis + ", " + jitter);
        }
        this.firstMillis = firstMillis;
        this.maxMillis = maxMillis;
        this.jitter = jitter;
        this.random = random;
        this.nextMillis = firstMillis;
    }

    /** The wait before the next attempt, in milliseconds; each call doubles the next (up to the maximum). */
    public long nextDelayMillis() {
        long delay = (long) (nextMillis * (1 - jitter + 2 * jitter * random.getAsDouble()));
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        return delay;
    }

    /** The last attempt succeeded: the next wait is the first one again. */
    public void reset() {
        nextMillis = firstMillis;
    }
}

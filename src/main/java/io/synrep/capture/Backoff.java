package io.synrep.capture;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The wait before capture's next reconnect attempt: {@value #FIRST_MILLIS} ms, doubling up to {@value #MAX_MILLIS}
 * ms, each wait scaled by a random factor in [0.8, 1.2] so that relays that lost the same writer do not reconnect
 * in step. {@link #reset()} after capture streamed again starts over. Not thread-safe (capture's supervisor holds
 * its lock).
 */
final class Backoff {
    static final long FIRST_MILLIS = 500;
    static final long MAX_MILLIS = 30_000;

    /** Returns values in [0, 1). */
    private final DoubleSupplier random;
    private long nextMillis = FIRST_MILLIS;

    Backoff() {
        this(() -> ThreadLocalRandom.current().nextDouble());
    }

    Backoff(DoubleSupplier random) {
        this.random = random;
    }

    /** The wait before the next attempt, in milliseconds; each call doubles the next (up to the maximum). */
    long nextDelayMillis() {
        long delay = (long) (nextMillis * (0.8 + 0.4 * random.getAsDouble()));
        nextMillis = Math.min(MAX_MILLIS, nextMillis * 2);
        return delay;
    }

    /** Capture streamed since the last attempt: the next wait is the first one again. */
    void reset() {
        nextMillis = FIRST_MILLIS;
    }
}

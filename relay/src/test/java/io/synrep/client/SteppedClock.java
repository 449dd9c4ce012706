package io.synrep.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ReplicationClient.Clock} for tests: its time moves only when a client sleeps by it (by the time slept) or
 * when the test {@linkplain #advance advances} it, and each sleep is recorded instead of slept. After
 * {@code parkAfter} sleeps, the next one parks the sleeping thread until it is interrupted (the client closing), so
 * that a test sees a fixed number of waits.
 */
final class SteppedClock implements ReplicationClient.Clock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<Duration> sleeps = new ArrayList<>();
    private final int parkAfter;

    SteppedClock(int parkAfter) {
        this.parkAfter = parkAfter;
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
        synchronized (sleeps) {
            while (sleeps.size() >= parkAfter) {
                sleeps.wait(); // until close() interrupts the reader
            }
            sleeps.add(d);
            nanos.addAndGet(d.toNanos());
            sleeps.notifyAll();
        }
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** The sleeps so far, in order. */
    List<Duration> sleeps() {
        synchronized (sleeps) {
            return List.copyOf(sleeps);
        }
    }

    /** Waits (on the test's side, in real time up to {@code timeout}) until {@code count} sleeps were recorded. */
    boolean awaitSleeps(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (sleeps) {
            while (sleeps.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                sleeps.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }
}

package io.synrep.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds: exact 10 µs buckets up to 1 s, then one overflow bucket (whose samples count as the
 * largest value seen). Thread-safe; recording allocates nothing.
 */
final class Histogram {
    private static final int BUCKET_MICROS = 10;
    private static final int BUCKETS = 100_000;
    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS + 1);
    private final java.util.concurrent.atomic.AtomicLong max = new java.util.concurrent.atomic.AtomicLong();

    void record(long micros) {
        long m = Math.max(0, micros);
        int b = (int) Math.min(BUCKETS, m / BUCKET_MICROS);
        counts.incrementAndGet(b);
        max.accumulateAndGet(m, Math::max);
    }

    long count() {
        long n = 0;
        for (int i = 0; i <= BUCKETS; i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The value at quantile {@code q} (0..1) in milliseconds, or NaN without samples. */
    double quantileMillis(double q) {
        long n = count();
        if (n == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= Math.max(1, rank)) {
                return (i + 0.5) * BUCKET_MICROS / 1000.0;
            }
        }
        return max.get() / 1000.0;
    }

    double maxMillis() {
        return max.get() / 1000.0;
    }
}

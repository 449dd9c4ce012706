package io.synrep.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds: 10 µs buckets up to 1 s, 1 ms buckets from 1 s to 120 s, then one overflow bucket
 * (whose samples count as the largest value seen). Thread-safe; recording allocates nothing.
 */
final class Histogram {
    private static final int FINE_MICROS = 10;
    private static final int FINE = 100_000;          // 0 .. 1 s
    private static final int COARSE_MICROS = 1_000;
    private static final int COARSE = 119_000;        // 1 s .. 120 s
    private final AtomicLongArray counts = new AtomicLongArray(FINE + COARSE + 1);
    private final AtomicLong max = new AtomicLong();

    void record(long micros) {
        long m = Math.max(0, micros);
        int b = m < FINE * (long) FINE_MICROS ? (int) (m / FINE_MICROS)
                : (int) Math.min(FINE + COARSE, FINE + (m - FINE * (long) FINE_MICROS) / COARSE_MICROS);
        counts.incrementAndGet(b);
        max.accumulateAndGet(m, Math::max);
    }

    long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The value at quantile {@code q} (0..1) in milliseconds (bucket middle), or NaN without samples. */
    double quantileMillis(double q) {
        long n = count();
        if (n == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < FINE + COARSE; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                double micros = i < FINE ? (i + 0.5) * FINE_MICROS
                        : FINE * (double) FINE_MICROS + (i - FINE + 0.5) * COARSE_MICROS;
                return Math.min(micros, max.get()) / 1000.0;
            }
        }
        return max.get() / 1000.0;
    }

    double maxMillis() {
        return max.get() / 1000.0;
    }
}

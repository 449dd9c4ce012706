package io.synrep.config;

import java.time.Duration;

/**
 * Bounds on what the relay retains in memory. The newest transaction is always kept whole, even when it alone
 * exceeds a bound, so that no transaction is ever split.
 *
 * @param maxRows  most rows retained across all streams
 * @param maxBytes most encoded row bytes retained across all streams (approximate heap use is higher by a per-row overhead)
 * @param maxAge   rows older than this (by append time) are dropped
 */
public record RetentionConfig(long maxRows, long maxBytes, Duration maxAge) {
    /** The byte bound's default on a heap of 1 GiB or more: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES_CAP = 256L * 1024 * 1024;

    public RetentionConfig {
        if (maxRows < 1) {
            throw new IllegalArgumentException("retention-rows must be >= 1, was " + maxRows);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("retention-bytes must be >= 1, was " + maxBytes);
        }
        if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("retention-age must be a positive duration, was " + maxAge);
        }
    }

    /** The defaults for this JVM's maximum heap ({@link Runtime#maxMemory()}); see {@link #defaults(long)}. */
    public static RetentionConfig defaults() {
        return defaults(Runtime.getRuntime().maxMemory());
    }

    /**
     * The defaults of {@link ServeSettings}: retention-rows, retention-age, and retention-bytes as
     * {@link #defaultMaxBytes(long) 256 MiB of encoded rows or a quarter of the maximum heap if that is smaller}.
     *
     * @param maxHeapBytes the JVM's maximum heap in bytes ({@code -Xmx})
     */
    public static RetentionConfig defaults(long maxHeapBytes) {
        return new RetentionConfig(ServeSettings.RETENTION_ROWS.defaultValue(), defaultMaxBytes(maxHeapBytes),
                ServeSettings.RETENTION_AGE.defaultValue());
    }

    /** The smaller of 256 MiB and a quarter of {@code maxHeapBytes} (at least 1 byte). */
    public static long defaultMaxBytes(long maxHeapBytes) {
        return Math.max(1, Math.min(DEFAULT_MAX_BYTES_CAP, maxHeapBytes / 4));
    }
}

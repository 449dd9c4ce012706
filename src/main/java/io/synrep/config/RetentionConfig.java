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
    public RetentionConfig {
        if (maxRows < 1) {
            throw new IllegalArgumentException("retention.max-rows must be >= 1, was " + maxRows);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("retention.max-bytes must be >= 1, was " + maxBytes);
        }
        if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("retention.max-age must be a positive duration, was " + maxAge);
        }
    }

    /** 1,000,000 rows, 256 MiB of encoded rows or a quarter of the maximum heap if smaller, one hour. */
    public static RetentionConfig defaults() {
        long bytes = Math.min(256L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
        return new RetentionConfig(1_000_000, bytes, Duration.ofHours(1));
    }
}

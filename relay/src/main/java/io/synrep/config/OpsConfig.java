package io.synrep.config;

/**
 * Operations settings of the relay's HTTP listener.
 *
 * @param readyMaxLagBytes most capture lag (writer WAL position minus the relay's position, in bytes) at which
 *                         {@code /health/ready} still answers 200
 */
public record OpsConfig(long readyMaxLagBytes) {
    /** 64 MiB: a few seconds of a busy writer's WAL; a relay further behind serves stale streams. */
    public static final long DEFAULT_READY_MAX_LAG = 64L * 1024 * 1024;

    public OpsConfig {
        if (readyMaxLagBytes < 0) {
            throw new IllegalArgumentException("ready max lag must be >= 0 bytes, was " + readyMaxLagBytes);
        }
    }

    public static OpsConfig defaults() {
        return new OpsConfig(DEFAULT_READY_MAX_LAG);
    }
}

package io.synrep.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Where and how the relay reads the writer's WAL.
 *
 * @param jdbcUrl     the writer's database, {@code jdbc:postgresql://host:port/db}
 * @param user        login role (needs REPLICATION and SELECT on the catalog tables)
 * @param password    its password; masked whenever the config is printed
 * @param slot        logical replication slot name (created when absent)
 * @param publication publication name (created for the catalog tables when absent)
 * @param heartbeat   how often Debezium emits heartbeats, which move positions on an idle database
 * @param pollInterval Debezium's queue poll interval (its default of 500 ms adds latency)
 * @param spillDir    where a transaction larger than {@code spillThreshold} is written while it is captured
 *                    and retained
 * @param spillThreshold heap bytes one transaction may use before its rows go to {@code spillDir}
 */
public record CaptureConfig(String jdbcUrl, String user, String password, String slot, String publication,
                            Duration heartbeat, Duration pollInterval, Path spillDir, long spillThreshold) {
    /** Default spill threshold: 16 MiB of encoded rows. */
    public static final long DEFAULT_SPILL_THRESHOLD = 16L * 1024 * 1024;

    public CaptureConfig(String jdbcUrl, String user, String password, String slot, String publication,
                         Duration heartbeat, Duration pollInterval) {
        this(jdbcUrl, user, password, slot, publication, heartbeat, pollInterval, defaultSpillDir(),
                DEFAULT_SPILL_THRESHOLD);
    }

    /** Names the default spill directory: this prefix, then the process id. */
    public static final String DEFAULT_SPILL_PREFIX = "synrep-spill-";

    /** {@code <java.io.tmpdir>/synrep-spill-<pid>}: shared by every relay of this process. */
    public static Path defaultSpillDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), DEFAULT_SPILL_PREFIX + ProcessHandle.current().pid());
    }

    private static final Pattern IDENT = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public CaptureConfig {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("pg-url must look like jdbc:postgresql://HOST:PORT/DB, was " + jdbcUrl);
        }
        if (slot == null || !IDENT.matcher(slot).matches()) {
            throw new IllegalArgumentException("slot name '" + slot
                    + "' must be lower-case letters, digits and underscores (at most 63)");
        }
        if (publication == null || !IDENT.matcher(publication).matches()) {
            throw new IllegalArgumentException("publication name '" + publication
                    + "' must be lower-case letters, digits and underscores (at most 63)");
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat interval must be positive");
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive");
        }
        if (spillDir == null) {
            throw new IllegalArgumentException("spill directory must be set");
        }
        if (spillThreshold < 1) {
            throw new IllegalArgumentException("spill threshold must be >= 1 byte, was " + spillThreshold);
        }
    }

    /** The JDBC URL with any password parameter masked, for logs. */
    public String maskedUrl() {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1****");
    }

    @Override
    public String toString() {
        return "CaptureConfig[jdbcUrl=" + maskedUrl() + ", user=" + user + ", password=" + (password == null ? "" : "****")
                + ", slot=" + slot + ", publication=" + publication + ", heartbeat=" + heartbeat
                + ", pollInterval=" + pollInterval + ", spillDir=" + spillDir + ", spillThreshold=" + spillThreshold + "]";
    }
}

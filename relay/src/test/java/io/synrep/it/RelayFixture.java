package io.synrep.it;

import io.synrep.Relay;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.streams.Catalog;
import java.time.Duration;

/** Starts a real relay (Debezium capture + HTTP on a free port) in this JVM against a test database. */
public final class RelayFixture {
    private RelayFixture() {}

    public static Relay start(String jdbcUrl, String slot) {
        return start(jdbcUrl, slot, Catalog.builtin(), RetentionConfig.defaults());
    }

    public static Relay start(String jdbcUrl, String slot, Catalog catalog, RetentionConfig retention) {
        return Relay.start(capture(jdbcUrl, slot), HttpConfig.defaults().withListen("127.0.0.1", 0), retention, catalog);
    }

    /** A relay with the given state configuration (data directory, offset store, start LSN, WAL cap). */
    public static Relay start(String jdbcUrl, String slot, RetentionConfig retention, StateConfig state) {
        return Relay.start(capture(jdbcUrl, slot), HttpConfig.defaults().withListen("127.0.0.1", 0), retention,
                Catalog.builtin(), state);
    }

    static CaptureConfig capture(String jdbcUrl, String slot) {
        return new CaptureConfig(jdbcUrl, null, null, slot, slot, Duration.ofMillis(200), Duration.ofMillis(10));
    }

    public static String base(Relay relay) {
        return "http://127.0.0.1:" + relay.port();
    }

    /** Waits until capture reports streaming. */
    public static void awaitStreaming(Relay relay) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (relay.capture().state() != io.synrep.capture.Capture.State.STREAMING) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("capture did not start: " + relay.capture().failure());
            }
            Thread.sleep(20);
        }
    }
}

package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The reader's retry waits, exactly: each failed attempt waits the current backoff times {@code 0.5 + r} for the
 * jitter's random value r in [0, 1), and the backoff doubles from the first value up to the cap and stays there. The
 * relay is a loopback port nobody listens on (every attempt is a real refused connection); the waits are recorded
 * through the client's clock instead of slept, and the jitter's random values are scripted.
 */
class ReaderBackoffTest {
    private static final double ALMOST_ONE = 0.999_999;

    @Test
    void waitsDoubleUpToTheCapAndAreSpreadByTheJitter() throws Exception {
        double[] script = {0.0, ALMOST_ONE, 0.5, 0.25, 0.75, 0.0, ALMOST_ONE, 0.5};
        AtomicInteger next = new AtomicInteger();
        DoubleSupplier jitter = () -> script[next.getAndIncrement() % script.length];
        SteppedClock clock = new SteppedClock(script.length);
        ReplicationClient c = ReplicationClient.builder(URI.create("http://127.0.0.1:" + closedPort()))
                .on("events", row -> { })
                .backoff(Duration.ofMillis(100), Duration.ofMillis(800))
                .clock(clock)
                .jitter(jitter)
                .build();
        try {
            c.start();
            assertTrue(clock.awaitSleeps(script.length, Duration.ofSeconds(20)),
                    "waits recorded: " + clock.sleeps() + ", " + c.lastError());
        } finally {
            c.close();
        }
        // backoff 100, 200, 400, then capped at 800; each times 0.5 + r (r scripted above), truncated to ms
        assertEquals(List.of(50L, 299L, 400L, 600L, 1000L, 400L, 1199L, 800L),
                clock.sleeps().stream().map(Duration::toMillis).toList());
        assertTrue(c.errors() >= script.length, "each wait follows a counted error: " + c.errors());
        assertTrue(c.lastError().contains("ConnectException"), c.lastError());
    }

    /** A loopback port with nothing listening: connections to it are refused at once. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

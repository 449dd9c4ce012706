package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.log.StreamLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client decides every wait by the {@link ReplicationClient.Clock} it was built with: a relay's
 * {@code Retry-After} and {@link ReplicationClient#awaitPosition}'s deadline pass on a test's clock without any
 * real waiting. A real relay ({@link HttpApi} over a {@link StreamLog}) on a free port; no sleeps.
 */
class ReaderClockTest {
    private static final Map<String, List<String>> FIELDS = Map.of("events", List.of("stream_ordering", "event_id"));

    private final List<AutoCloseable> open = new ArrayList<>();
    private int port;

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private void startRelay(int maxWaiting) {
        StreamLog log = new StreamLog(FIELDS.keySet(), new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE,
                Duration.ofDays(1)), Clock.systemUTC());
        log.start(100);
        Javalin app = HttpApi.create(log, FIELDS, HttpConfig.defaults().withListen("127.0.0.1", 0)
                .withMaxWaiting(maxWaiting), new Streaming()).start();
        open.add(app::stop);
        port = app.port();
    }

    private ReplicationClient start(ReplicationClient.Clock clock) {
        ReplicationClient c = ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("events", row -> { })
                .from("100")
                .pollTimeout(Duration.ofSeconds(30))
                .clock(clock)
                .build();
        open.add(c);
        return c.start();
    }

    @Test
    void aRetryAfterWaitIsSleptOnTheClientsClock() throws Exception {
        startRelay(1);
        // another reader holds the relay's only waiting slot: every long-poll of the client is refused with a 503
        // and Retry-After: 1
        HttpClient other = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> parked = other.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_synapse/replication?events=100&timeout=60000")).build(),
                HttpResponse.BodyHandlers.ofString());
        open.add(() -> parked.cancel(true));
        awaitParked();

        SteppedClock clock = new SteppedClock(3);
        ReplicationClient c = start(clock);
        assertTrue(clock.awaitSleeps(3, Duration.ofSeconds(20)), "waits on the clock: " + clock.sleeps()
                + "; last error " + c.lastError());
        // three refusals, each followed by the relay's Retry-After on the clock (not the 100 ms backoff)
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)), clock.sleeps());
        assertTrue(c.lastError().contains("503"), c.lastError());
        assertFalse(c.following());
    }

    @Test
    void awaitPositionGivesUpWhenItsTimeoutHasPassedOnTheClientsClock() throws Exception {
        startRelay(16);
        // every reading after the first is two hours later: a one-hour timeout is over at its first check
        AtomicInteger readings = new AtomicInteger();
        ReplicationClient.Clock jumps = new ReplicationClient.Clock() {
            @Override
            public long nanoTime() {
                return readings.getAndIncrement() == 0 ? 0 : Duration.ofHours(2).toNanos();
            }

            @Override
            public void sleep(Duration d) throws InterruptedException {
                Thread.sleep(d.toMillis()); // not reached: the relay answers every poll
            }
        };
        ReplicationClient c = start(jumps);
        boolean reached = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> c.awaitPosition(1_000, Duration.ofHours(1)), "the timeout is measured by the client's clock");
        assertFalse(reached);
        assertEquals(2, readings.get(), "one reading for the deadline, one for the check");
    }

    @Test
    void aRetryAfterLongerThanAMinuteIsWaitedForOneMinute() throws Exception {
        // a relay (a plain JDK server) without the catalog endpoint whose long-polls all answer 503, Retry-After: 3600
        com.sun.net.httpserver.HttpServer relay = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        relay.createContext("/", exchange -> {
            boolean catalog = exchange.getRequestURI().getPath().endsWith("/catalog");
            byte[] body = (catalog ? "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"no\"}"
                    : "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"error\":\"busy\"}").getBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            if (!catalog) {
                exchange.getResponseHeaders().add("Retry-After", "3600");
            }
            exchange.sendResponseHeaders(catalog ? 404 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        relay.start();
        open.add(() -> relay.stop(0));
        port = relay.getAddress().getPort();

        SteppedClock clock = new SteppedClock(2);
        ReplicationClient c = start(clock);
        assertTrue(clock.awaitSleeps(2, Duration.ofSeconds(20)), "waits on the clock: " + clock.sleeps()
                + "; last error " + c.lastError());
        assertEquals(List.of(Duration.ofSeconds(60), Duration.ofSeconds(60)), clock.sleeps(),
                "an hour asked for, a minute waited");
    }

    /** Waits until the relay's {@code /health} reports one parked long-poll. */
    private void awaitParked() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            if (json.readTree(r.body()).path("waiting").asInt(-1) == 1) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "the other reader never parked: " + r.body());
            Thread.sleep(2); // polling a condition the relay reaches by itself
        }
    }

    /** A relay that is streaming, at any writer position. */
    private static final class Streaming implements RelayStatus {
        @Override
        public boolean streaming() {
            return true;
        }

        @Override
        public String epoch() {
            return "7312345678901234567/synrep_test_slot";
        }

        @Override
        public OptionalLong writerPosition(long atLeast) {
            return OptionalLong.of(Long.MAX_VALUE);
        }

        @Override
        public String describe() {
            return "test relay";
        }
    }
}

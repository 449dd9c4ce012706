package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that stop reading (or never finish a request) pin neither threads nor connections beyond the idle
 * timeout, and others are served meanwhile. Raw sockets with small receive buffers that are never read.
 */
class SlowClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long IDLE_MS = 1_000;
    private static final int ROWS = 80_000;
    private ServedLog served;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (served != null) {
            served.close();
        }
    }

    private int busyThreads() {
        return ((QueuedThreadPool) served.app.jettyServer().threadPool()).getBusyThreads();
    }

    private int openConnections() {
        return ((ServerConnector) served.app.jettyServer().server().getConnectors()[0]).getConnectedEndPoints().size();
    }

    private Socket open() throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", served.port()), 5_000);
        sockets.add(s);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String request(String query) {
        return "GET /_synapse/replication?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    }

    /** The whole table, exactly: ROWS events in 80 transactions. */
    private void assertAllRows() throws IOException {
        RawHttp.Response r = RawHttp.get(served.port(), "/_synapse/replication?events=-1&timeout=0&limit=100000", "");
        assertEquals(200, r.status());
        JsonNode rows = JSON.readTree(r.body()).path("events").path("rows");
        assertEquals(ROWS, rows.size());
        for (int i = 0; i < ROWS; i++) {
            long position = 1_000L * (i / 1_000 + 1);
            assertEquals(position, rows.get(i).get(0).asLong());
            assertEquals(ServedLog.eventId(position, i % 1_000), rows.get(i).get(2).asText());
        }
    }

    private static void awaitAtMost(String what, IntSupplier value, int expected, long seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (value.getAsInt() > expected) {
            if (System.nanoTime() > deadline) {
                fail(what + ": expected at most " + expected + " within " + seconds + " s, still " + value.getAsInt());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void clientsThatStopReadingAreCutOffAndOthersAreServed() throws Exception {
        served = new ServedLog(HttpConfig.defaults().withListen("127.0.0.1", 0).withIdleTimeout(IDLE_MS)
                .withLimits(60_000, 100_000), 0);
        for (int t = 1; t <= ROWS / 1_000; t++) {
            served.appendEvents(1_000L * t, 1_000);
        }
        assertAllRows(); // warm-up
        awaitAtMost("open connections after warm-up", this::openConnections, 0, 10);
        int baselineBusy = busyThreads();
        int baselineThreads = ManagementFactory.getThreadMXBean().getThreadCount();

        int big = 16;
        for (int i = 0; i < big; i++) { // a 6 MB response each, more than the kernel's socket buffers take, never read
            send(open(), request("events=-1&timeout=0&limit=100000"));
        }
        Socket pipelined = open(); // many requests on one connection, never reading an answer
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            many.append(request("events=-1&timeout=0&limit=100000"));
        }
        send(pipelined, many.toString());
        for (int i = 0; i < 8; i++) { // a request that never ends
            send(open(), "GET /_synapse/replication?events=-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        }
        int connections = big + 1 + 8;
        awaitAtMost("the server sees every connection", () -> -openConnections(), -connections, 10);
        int stuckBusy = busyThreads();
        int stuckThreads = ManagementFactory.getThreadMXBean().getThreadCount();

        long started = System.nanoTime();
        assertAllRows(); // others are served while the slow clients hold their connections
        long servedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        awaitAtMost("open connections", this::openConnections, 0, 20);
        long freedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        awaitAtMost("busy Jetty threads", this::busyThreads, baselineBusy, 10);
        int afterThreads = ManagementFactory.getThreadMXBean().getThreadCount();
        System.out.printf("FIGURES slow clients: %d connections that never read (idle timeout %d ms): Jetty busy"
                        + " threads %d before, %d while stuck, %d after; JVM threads %d / %d / %d; another client got"
                        + " %d rows in %d ms meanwhile; all connections closed %d ms after that%n", connections,
                IDLE_MS, baselineBusy, stuckBusy, busyThreads(), baselineThreads, stuckThreads, afterThreads, ROWS,
                servedMillis, freedMillis);
        assertTrue(stuckBusy > baselineBusy, "the test must really block writers: " + stuckBusy + " busy threads");
        assertAllRows();
    }

    @Test
    void parkedRequestsOfClientsThatStopReadingDoNotDelayOthers() throws Exception {
        long idle = 3_000;
        served = new ServedLog(HttpConfig.defaults().withListen("127.0.0.1", 0).withIdleTimeout(idle)
                .withLimits(60_000, 100_000), 0);
        served.appendEvents(1_000, 10);
        int slow = 8;
        for (int i = 0; i < slow; i++) { // parked, then answered with a big page they never read
            send(open(), request("events=1000&timeout=30000&limit=100000"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (served.waiting() < slow && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(slow, served.waiting());
        served.appendEvents(2_000, 80_000); // wakes them all: each answer is about 6 MB

        // a reader parked after the append of 2000 must be answered at once by the next append
        java.util.concurrent.CompletableFuture<RawHttp.Response> next = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return RawHttp.get(served.port(), "/_synapse/replication?events=2000&timeout=30000", "");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        while (served.waiting() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long started = System.nanoTime();
        served.appendEvents(3_000, 1);
        RawHttp.Response r = next.get(30, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(200, r.status());
        assertEquals(3_000, JSON.readTree(r.body()).path("events").path("rows").get(0).get(0).asLong());
        System.out.printf("FIGURES slow parked clients: %d woken clients not reading 6 MB answers; another parked"
                + " reader answered %d ms after the next append (idle timeout %d ms)%n", slow, millis, idle);
        assertTrue(millis < idle / 2, "not stuck behind the slow clients' writes: " + millis + " ms");
        awaitAtMost("open connections", this::openConnections, 0, 20);
    }

    @Test
    void aParkedLongPollOutlivesTheIdleTimeout() throws Exception {
        served = new ServedLog(HttpConfig.defaults().withListen("127.0.0.1", 0).withIdleTimeout(500), 100);
        long started = System.nanoTime();
        RawHttp.Response r = RawHttp.get(served.port(), "/_synapse/replication?events=100&timeout=2000", "");
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(200, r.status(), r.body());
        assertEquals("{}", r.body());
        assertTrue(took >= 1_900, "held for its timeout, not cut at the idle timeout: " + took + " ms");
    }
}

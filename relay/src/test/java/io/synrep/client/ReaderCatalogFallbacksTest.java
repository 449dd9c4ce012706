package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.protocol.RowEncoder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the reader learns which streams its relay serves when the catalog does not tell it: a relay without the
 * catalog endpoint (404), and a poll refused with 400 {@code unknown stream 'X'}. Real HTTP end to end: the relay is
 * {@link HttpApi} over a real {@link StreamLog}; the relay without a catalog endpoint is a JDK {@link HttpServer}
 * that answers the catalog path with 404 and passes every poll through to that relay unchanged.
 */
class ReaderCatalogFallbacksTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Map<String, List<String>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("events", List.of("stream_ordering", "event_id", "room_id"));
        FIELDS.put("receipts", List.of("stream_id", "room_id", "user_id", "event_id"));
    }

    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));

    /** A streaming relay with one epoch. */
    private static final RelayStatus STATUS = new RelayStatus() {
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
    };

    private final RowEncoder encoder = new RowEncoder();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    // --- W16: a relay without the catalog endpoint ---------------------------------------------------------------

    @Test
    void aRelayWithoutTheCatalogEndpointIsTakenToServeEveryFollowedStream() throws Exception {
        StreamLog log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        log.start(100);
        Javalin relay = relay(log, FIELDS, 0);
        OldRelay old = new OldRelay(relay.port());
        events(log, 101, "$e101");
        receipt(log, 102, "@r102");

        ReplicationClient c = started(client(old.port()));
        await(c, 102);
        events(log, 103, "$e103");
        receipt(log, 104, "@r104");
        await(c, 104);

        assertEquals(List.of("events@101:$e101", "receipts@102:@r102", "events@103:$e103", "receipts@104:@r104"),
                List.copyOf(seen));
        assertTrue(old.catalogAsked.get() >= 1, "the reader asked for the catalog and got 404");
        assertEquals("unknown", c.catalog());
        assertEquals(Set.of(), c.missingStreams());
        assertEquals(0, c.errors(), "a 404 catalog is not an error: " + c.lastError());
        assertTrue(c.following());
        assertEquals(Map.of("events", "104", "receipts", "104"), c.tokens().byStream());
        assertTrue(!old.polls.isEmpty(), "polls went through the relay without a catalog");
        for (String query : old.polls) {
            assertTrue(query.contains("events=") && query.contains("receipts="), "every poll names both: " + query);
        }
    }

    // --- W13: a stream refused by a poll comes back after the relay could not be reached ------------------------

    @Test
    void aStreamRefusedByAPollIsFollowedAgainAfterAnOutageOnceTheRelayServesItAndTheResyncHookRunsFirst()
            throws Exception {
        // the catalog lists receipts, the log has no such stream: polls naming it are refused with
        // 400 M_INVALID_PARAM "unknown stream 'receipts'"
        StreamLog eventsOnly = new StreamLog(Set.of("events"), UNBOUNDED, Clock.systemUTC());
        eventsOnly.start(100);
        Javalin first = relay(eventsOnly, FIELDS, 0);
        int port = first.port();
        events(eventsOnly, 101, "$e101");
        ReplicationClient c = started(client(port).pollTimeout(Duration.ofMillis(200)));
        await(c, 101);
        assertEquals(Set.of("receipts"), c.missingStreams());
        assertEquals(1, c.errors(), "one refusal: " + c.lastError());
        assertTrue(c.lastError().contains("receipts") && c.lastError().contains("400"), c.lastError());
        long errorsBefore = c.errors();

        // the relay goes away; the reader notices it cannot reach it (a connection error, not a refusal)
        first.stop();
        closing.remove(first);
        awaitThat("the reader failed to reach the relay", () -> c.errors() > errorsBefore && c.lastError() != null
                && c.lastError().contains("ConnectException"));

        // it comes back on the same address, same history, now serving receipts
        StreamLog full = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        full.start(101);
        events(full, 102, "$e102");
        receipt(full, 103, "@r103");
        relay(full, FIELDS, port);
        await(c, 103);

        // the receipts the reader never saw are covered by the resync hook, which runs before receipts is polled
        assertEquals(List.of("events@101:$e101", "RESYNC", "events@102:$e102", "receipts@103:@r103"),
                List.copyOf(seen));
        assertEquals(Set.of(), c.missingStreams());
        assertEquals(Map.of("events", "103", "receipts", "103"), c.tokens().byStream());
        assertEquals(0, c.resyncs(), "not a 410 or a new epoch");
    }

    // --- fixture --------------------------------------------------------------------------------------------------

    private Javalin relay(StreamLog log, Map<String, List<String>> catalog, int port) {
        Javalin app = HttpApi.create(log, catalog, HttpConfig.defaults().withListen("127.0.0.1", port), STATUS).start();
        closing.add(app::stop);
        return app;
    }

    private ReplicationClient.Builder client(int port) {
        return ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("events", row -> seen.add("events@" + row.position() + ":" + row.text("event_id")))
                .on("receipts", row -> seen.add("receipts@" + row.position() + ":" + row.text("user_id")))
                .onResync(() -> seen.add("RESYNC"))
                .from("-1")
                .pollTimeout(Duration.ofSeconds(5))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100));
    }

    private ReplicationClient started(ReplicationClient.Builder b) {
        ReplicationClient c = b.build();
        closing.add(c);
        return c.start();
    }

    private void events(StreamLog log, long position, String id) {
        byte[] tail = encoder.encodeTail(new Object[] {position % 1000, id, "!room:hs"});
        assertTrue(log.append(new Transaction(position, Map.of("events", List.of(tail)))));
    }

    private void receipt(StreamLog log, long position, String user) {
        byte[] tail = encoder.encodeTail(new Object[] {1L, "!room:hs", user, "$e"});
        assertTrue(log.append(new Transaction(position, Map.of("receipts", List.of(tail)))));
    }

    private static void await(ReplicationClient c, long position) throws InterruptedException {
        assertTrue(c.awaitPosition(position, WAIT), "client reached " + position + "; at " + c.position()
                + ", missing " + c.missingStreams() + ", errors " + c.errors() + ", last " + c.lastError());
    }

    private static void awaitThat(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * A relay from before the catalog endpoint: {@code GET /_synapse/replication/catalog} is 404 (with the JSON body
     * a relay gives unknown paths); polls are passed to {@code upstream} and its answers returned unchanged (status,
     * {@code Synrep-Epoch}, body).
     */
    private final class OldRelay {
        final AtomicInteger catalogAsked = new AtomicInteger();
        final List<String> polls = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newHttpClient();

        OldRelay(int upstream) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            ExecutorService threads = Executors.newCachedThreadPool();
            server.setExecutor(threads);
            server.createContext("/_synapse/replication/catalog", ex -> {
                catalogAsked.incrementAndGet();
                answer(ex, 404, null, "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"no such endpoint\"}"
                        .getBytes(StandardCharsets.UTF_8));
            });
            server.createContext("/_synapse/replication", ex -> {
                String query = ex.getRequestURI().getRawQuery();
                polls.add(query);
                try {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + upstream + "/_synapse/replication?" + query)).GET().build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    answer(ex, r.statusCode(), r.headers().firstValue("Synrep-Epoch").orElse(null), r.body());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    ex.close();
                }
            });
            server.start();
            closing.add(() -> {
                server.stop(0);
                threads.shutdownNow();
            });
        }

        int port() {
            return server.getAddress().getPort();
        }

        private void answer(HttpExchange ex, int status, String epoch, byte[] body) throws IOException {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            if (epoch != null) {
                ex.getResponseHeaders().set("Synrep-Epoch", epoch);
            }
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}

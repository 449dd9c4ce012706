package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.protocol.RowEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReplicationClient} against a real relay: {@link HttpApi} on a free port over a real {@link StreamLog}, no
 * mocks. Determinism comes from latches in handlers and from {@link ReplicationClient#awaitPosition}; the only
 * clock readings are lower bounds that sleeping guarantees (backoff) and generous upper bounds (close).
 */
class ReplicationClientTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String EPOCH_1 = "7312345678901234567/synrep_test_slot";
    private static final String EPOCH_2 = "7399999999999999999/synrep_test_slot";
    private static final Map<String, List<String>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("events", List.of("stream_ordering", "event_id", "room_id"));
        FIELDS.put("receipts", List.of("stream_id", "room_id", "user_id", "event_id"));
    }

    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));

    /** The relay as the HTTP layer sees it; the test switches the epoch. */
    static final class TestStatus implements RelayStatus {
        volatile String epoch = EPOCH_1;

        @Override
        public boolean streaming() {
            return true;
        }

        @Override
        public String epoch() {
            return epoch;
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

    /** What the handlers saw, in order: "events@101:$a", "receipts@102:@u", or "RESYNC". */
    static final class Seen implements Consumer<Row> {
        final List<String> all = new CopyOnWriteArrayList<>();

        @Override
        public void accept(Row row) {
            all.add(label(row));
        }

        void resync() {
            all.add("RESYNC");
        }

        static String label(Row row) {
            String id = row.stream().equals("events") ? row.text("event_id") : row.text("user_id");
            return row.stream() + "@" + row.position() + ":" + id;
        }

        List<String> list() {
            return List.copyOf(all);
        }
    }

    private final TestStatus status = new TestStatus();
    private final RowEncoder encoder = new RowEncoder();
    private final List<ReplicationClient> clients = new ArrayList<>();
    private final List<Javalin> apps = new ArrayList<>();
    private StreamLog log;
    private Javalin app;
    private int port;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        clients.forEach(ReplicationClient::close);
        apps.forEach(Javalin::stop);
    }

    // --- relay and client ---------------------------------------------------------------------------------------

    private void startRelay(long start) {
        log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        log.start(start);
        startServer(0);
    }

    private void startServer(int onPort) {
        startServer(onPort, FIELDS);
    }

    /** The HTTP layer over {@link #log}, whose catalog lists {@code fields}' streams. */
    private void startServer(int onPort, Map<String, List<String>> fields) {
        app = HttpApi.create(log, fields, HttpConfig.defaults().withListen("127.0.0.1", onPort), status).start();
        apps.add(app);
        port = app.port();
    }

    private static Map<String, List<String>> only(String... streams) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String s : streams) {
            m.put(s, FIELDS.get(s));
        }
        return m;
    }

    private void stopServer() {
        app.stop();
        apps.remove(app);
    }

    private ReplicationClient.Builder client(Seen seen) {
        return ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("events", seen)
                .on("receipts", seen)
                .onResync(seen::resync)
                .from("-1")
                .pollTimeout(Duration.ofSeconds(5))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100));
    }

    private ReplicationClient started(ReplicationClient.Builder b) {
        ReplicationClient c = b.build();
        clients.add(c);
        return c.start();
    }

    private static void await(ReplicationClient c, long position) throws InterruptedException {
        assertTrue(c.awaitPosition(position, WAIT), "client reached " + position + "; at " + c.position()
                + ", errors " + c.errors() + ", last " + c.lastError());
    }

    /** Waits for a condition the client reaches by itself (no sleep-as-correctness: the condition is the check). */
    private static void awaitThat(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "latch");
    }

    private void events(long position, String... ids) {
        List<byte[]> tails = new ArrayList<>();
        for (String id : ids) {
            tails.add(encoder.encodeTail(new Object[] {position % 1000, id, "!room:hs"}));
        }
        assertTrue(log.append(new Transaction(position, Map.of("events", tails))));
    }

    private void receipt(long position, String user) {
        byte[] tail = encoder.encodeTail(new Object[] {1L, "!room:hs", user, "$e"});
        assertTrue(log.append(new Transaction(position, Map.of("receipts", List.of(tail)))));
    }

    private void both(long position, String eventId, String user) {
        byte[] e = encoder.encodeTail(new Object[] {position % 1000, eventId, "!room:hs"});
        byte[] r = encoder.encodeTail(new Object[] {1L, "!room:hs", user, "$e"});
        assertTrue(log.append(new Transaction(position, Map.of("events", List.of(e), "receipts", List.of(r)))));
    }

    private static List<Long> positions(List<String> seen) {
        return seen.stream().filter(s -> !s.equals("RESYNC"))
                .map(s -> Long.parseLong(s.substring(s.indexOf('@') + 1, s.indexOf(':'))))
                .collect(Collectors.toList());
    }

    private static void assertPositionOrder(List<String> seen) {
        List<Long> p = positions(seen);
        for (int i = 1; i < p.size(); i++) {
            if (p.get(i) < p.get(i - 1)) {
                fail("row " + seen.get(i) + " handed after a later position: " + seen);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // --- rows ----------------------------------------------------------------------------------------------------

    @Test
    void rowsCarryTheirValuesAsPlainJavaValues() throws Exception {
        startRelay(100);
        List<Row> rows = new CopyOnWriteArrayList<>();
        ReplicationClient c = started(ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("events", rows::add).from("100"));
        byte[] tail = encoder.encodeTail(new Object[] {7L, null, List.of("a", 2.5, Map.of("k", true))});
        assertTrue(log.append(new Transaction(101, Map.of("events", List.of(tail)))));
        await(c, 101);

        Row r = rows.get(0);
        assertEquals(List.of("position", "stream_ordering", "event_id", "room_id"), r.fieldNames());
        assertEquals(101L, r.values().get(0));
        assertEquals(7L, r.get("stream_ordering"));
        assertTrue(r.has("event_id"));
        assertNull(r.get("event_id"));
        assertNull(r.text("event_id"));
        assertEquals(List.of("a", 2.5, Map.of("k", true)), r.get("room_id"));
        assertEquals("[\"a\",2.5,{\"k\":true}]", r.text("room_id"));
        assertEquals("7", r.text("stream_ordering"));
        assertFalse(r.has("nope"));
        assertNull(r.get("nope"));
        assertEquals("events@101[101,7,null,[\"a\",2.5,{\"k\":true}]]", r.toString());
        assertThrows(UnsupportedOperationException.class, () -> r.values().set(1, 8L));
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) r.get("room_id")).clear());
    }

    // --- order and acknowledgement ------------------------------------------------------------------------------

    @Test
    void rowsOfTwoStreamsArriveInPositionOrderAcrossStreams() throws Exception {
        startRelay(100);
        List<String> expected = new ArrayList<>();
        // a backlog of events, then receipts: with a small limit the relay pages events, while receipts is
        // complete up to the head in the very first response
        for (long p = 101; p <= 110; p++) {
            events(p, "$e" + p);
            expected.add("events@" + p + ":$e" + p);
        }
        receipt(111, "@a");
        expected.add("receipts@111:@a");
        both(112, "$e112", "@b");
        expected.add("events@112:$e112");
        expected.add("receipts@112:@b");
        for (long p = 113; p <= 120; p++) {
            if (p % 3 == 0) {
                receipt(p, "@u" + p);
                expected.add("receipts@" + p + ":@u" + p);
            } else {
                events(p, "$e" + p);
                expected.add("events@" + p + ":$e" + p);
            }
        }
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).limit(2));
        await(c, 120);

        List<String> got = seen.list();
        assertPositionOrder(got);
        // a transaction's rows of two streams may come in either stream order; compare as sets per position
        assertEquals(expected.size(), got.size(), "each row once: " + got);
        assertEquals(Set.copyOf(expected), Set.copyOf(got));
        assertEquals(expected.size(), c.rowsHandled());
        assertEquals(0, c.resyncs());
        assertEquals(EPOCH_1, c.epoch());
        assertEquals(Map.of("events", "120", "receipts", "120"), c.tokens().byStream());
    }

    @Test
    void rowsAppendedWhileTheClientWaitsArriveInOrder() throws Exception {
        startRelay(100);
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).limit(3).pollTimeout(Duration.ofMillis(200)));
        await(c, 100); // the first answer names the concrete position that -1 stands for
        List<String> expected = new ArrayList<>();
        for (long p = 101; p <= 160; p++) {
            if (p % 4 == 0) {
                receipt(p, "@u" + p);
                expected.add("receipts@" + p + ":@u" + p);
            } else {
                events(p, "$e" + p, "$f" + p);
                expected.add("events@" + p + ":$e" + p);
                expected.add("events@" + p + ":$f" + p);
            }
        }
        await(c, 160);
        assertEquals(expected, seen.list());
    }

    @Test
    void tokensAreSavedOnlyAfterTheHandlersRan() throws Exception {
        startRelay(100);
        Seen seen = new Seen();
        List<String> violations = new CopyOnWriteArrayList<>();
        List<Long> saves = new CopyOnWriteArrayList<>();
        TokenStore memory = TokenStore.inMemory();
        Map<Long, List<String>> rowsAt = new LinkedHashMap<>();
        TokenStore checking = new TokenStore() {
            @Override
            public Optional<Tokens> load() {
                return memory.load();
            }

            @Override
            public void save(Tokens t) {
                long p = t.position();
                saves.add(p);
                List<String> handled = seen.list();
                rowsAt.forEach((at, labels) -> {
                    if (at <= p && !handled.containsAll(labels)) {
                        violations.add("saved " + p + " before handling " + labels);
                    }
                });
                memory.save(t);
            }
        };
        for (long p = 101; p <= 130; p++) {
            if (p % 2 == 0) {
                events(p, "$e" + p);
                rowsAt.put(p, List.of("events@" + p + ":$e" + p));
            } else {
                receipt(p, "@u" + p);
                rowsAt.put(p, List.of("receipts@" + p + ":@u" + p));
            }
        }
        ReplicationClient c = started(client(seen).tokenStore(checking).limit(4));
        await(c, 130);
        assertEquals(List.of(), violations);
        assertTrue(saves.size() >= 4, "30 positions, at most 4 rows of each stream per response: " + saves);
        for (int i = 1; i < saves.size(); i++) {
            assertTrue(saves.get(i) > saves.get(i - 1), "saved positions grow: " + saves);
        }
        assertEquals(130, memory.load().orElseThrow().position());
    }

    @Test
    void aHandlerThatThrowsGetsTheSameRowsAgainAndTokensDoNotAdvance() throws Exception {
        startRelay(100);
        events(101, "$a");
        events(102, "$b1", "$b2");
        TokenStore store = TokenStore.inMemory();
        List<String> attempts = new CopyOnWriteArrayList<>();
        List<Optional<Tokens>> savedDuringRetry = new CopyOnWriteArrayList<>();
        AtomicBoolean failed = new AtomicBoolean();
        Seen seen = new Seen();
        ReplicationClient c = started(ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("events", row -> {
                    attempts.add(row.text("event_id"));
                    if (row.text("event_id").equals("$b2") && failed.compareAndSet(false, true)) {
                        throw new IllegalStateException("cache backend down");
                    }
                    if (failed.get() && row.text("event_id").equals("$a")) {
                        savedDuringRetry.add(store.load());
                    }
                    seen.accept(row);
                })
                .tokenStore(store).from("-1").pollTimeout(Duration.ofSeconds(5))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
        await(c, 102);

        assertEquals(List.of("$a", "$b1", "$b2", "$a", "$b1", "$b2"), attempts, "the whole response again");
        assertEquals(List.of(Optional.empty()), savedDuringRetry, "nothing was acknowledged before the retry");
        assertEquals(102, store.load().orElseThrow().position());
        assertEquals(1, c.errors());
        assertTrue(c.lastError().contains("cache backend down"), c.lastError());
        assertEquals(3, c.rowsHandled(), "rows of the failed attempt are not counted");
        assertEquals(0, c.resyncs());
    }

    @Test
    void positionIsPublishedOnlyAfterTheHandlersRan() throws Exception {
        startRelay(100);
        for (long p = 101; p <= 105; p++) {
            events(p, "$e" + p);
        }
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TokenStore store = TokenStore.inMemory();
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).tokenStore(store).limit(2).on("events", row -> {
            if (row.position() == 105) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }));
        await(entered);

        // responses were [101,102], [103,104], [105]: the third one's handler is still running
        assertEquals(104, c.position());
        assertEquals(104, store.load().orElseThrow().position());
        assertFalse(c.awaitPosition(105, Duration.ofMillis(50)));
        assertEquals(List.of("events@101:$e101", "events@102:$e102", "events@103:$e103", "events@104:$e104",
                "events@105:$e105"), seen.list(), "the row is handed to the first handler of the stream first");

        release.countDown();
        await(c, 105);
        assertEquals(105, c.position());
        assertEquals(5, c.rowsHandled());
    }

    @Test
    void awaitPositionWakesEveryWaiter() throws Exception {
        startRelay(100);
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).pollTimeout(Duration.ofMillis(200)));
        await(c, 100);
        List<Thread> waiters = new ArrayList<>();
        AtomicInteger woke = new AtomicInteger();
        CountDownLatch waiting = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            Thread t = new Thread(() -> {
                waiting.countDown();
                try {
                    if (c.awaitPosition(101, WAIT)) {
                        woke.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            waiters.add(t);
        }
        await(waiting);
        events(101, "$a");
        for (Thread t : waiters) {
            t.join(WAIT.toMillis());
        }
        assertEquals(3, woke.get());
        assertTrue(seen.list().contains("events@101:$a"), "a waiter that woke at 101 sees the row handled");
    }

    @Test
    void fromNowSkipsHistory() throws Exception {
        startRelay(100);
        events(101, "$old");
        receipt(102, "@old");
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).from("now").pollTimeout(Duration.ofMillis(200)));
        assertEquals(-1, c.position(), "symbolic tokens until the first answer");
        await(c, 102); // the first (empty, timed out) answer names the head
        events(103, "$new");
        await(c, 103);
        assertEquals(List.of("events@103:$new"), seen.list());
    }

    // --- restart ------------------------------------------------------------------------------------------------

    @Test
    void aClientRestartedWithAFileStoreResumesWithoutGapsOrDuplicates() throws Exception {
        startRelay(100);
        Path file = dir.resolve("reader/tokens.json");
        for (long p = 101; p <= 105; p++) {
            events(p, "$e" + p);
        }
        // first run: closed while its handler is inside row 103 (one transaction per response)
        CountDownLatch in103 = new CountDownLatch(1);
        List<String> acknowledged = new CopyOnWriteArrayList<>();
        List<String> firstSaw = new CopyOnWriteArrayList<>();
        ReplicationClient first = started(ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("events", row -> {
                    firstSaw.add(Seen.label(row));
                    if (row.position() == 103) {
                        in103.countDown();
                        try {
                            new CountDownLatch(1).await(); // until close() interrupts
                        } catch (InterruptedException e) {
                            throw new IllegalStateException("stopped");
                        }
                    }
                })
                .tokenStore(TokenStore.file(file)).from("-1").limit(1).pollTimeout(Duration.ofSeconds(5)));
        await(in103);
        first.close();
        Tokens saved = TokenStore.file(file).load().orElseThrow();
        assertEquals(102, saved.position(), "103 was not acknowledged");
        assertEquals(EPOCH_1, saved.epoch());
        firstSaw.stream().filter(s -> positions(List.of(s)).get(0) <= saved.position()).forEach(acknowledged::add);

        // second run: from("now") must not matter, the saved tokens do
        events(106, "$e106");
        Seen second = new Seen();
        ReplicationClient again = started(client(second).tokenStore(TokenStore.file(file)).from("now").limit(1));
        await(again, 106);
        again.close();
        List<String> all = new ArrayList<>(acknowledged);
        all.addAll(second.list());
        assertEquals(List.of("events@101:$e101", "events@102:$e102", "events@103:$e103", "events@104:$e104",
                "events@105:$e105", "events@106:$e106"), all);
        assertEquals(106, TokenStore.file(file).load().orElseThrow().position());

        // third run after a clean close: only what was appended meanwhile
        events(107, "$e107");
        receipt(108, "@r");
        Seen third = new Seen();
        ReplicationClient last = started(client(third).tokenStore(TokenStore.file(file)));
        await(last, 108);
        assertEquals(List.of("events@107:$e107", "receipts@108:@r"), third.list());
        assertEquals(0, last.resyncs());
    }

    @Test
    void aDamagedTokenFileStopsTheStartInsteadOfStartingOver() throws Exception {
        startRelay(100);
        Path file = dir.resolve("tokens.json");
        Files.writeString(file, "{\"epoch\":\"x\",\"tokens\":{\"events\":\"12ab\"}}");
        ReplicationClient c = client(new Seen()).tokenStore(TokenStore.file(file)).build();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, c::start);
        assertTrue(e.getMessage().contains("tokens.json"), e.getMessage());
    }

    // --- resync -------------------------------------------------------------------------------------------------

    @Test
    void evictionPastTheReaderResyncsOnceAndContinuesFromEarliest() throws Exception {
        startRelay(100);
        events(101, "$e101");
        events(102, "$e102");
        events(103, "$e103");
        CountDownLatch in102 = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger resyncs = new AtomicInteger();
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).limit(1).onResync(() -> {
            resyncs.incrementAndGet();
            seen.resync();
        }).on("events", row -> {
            if (row.position() == 102) {
                in102.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }));
        await(in102);
        assertEquals(3, log.evictThrough(104), "the WAL guard drops 101..103");
        assertEquals(103, log.horizon());
        events(104, "$e104");
        receipt(105, "@r105");
        release.countDown();

        await(c, 105);
        assertEquals(List.of("events@101:$e101", "events@102:$e102", "RESYNC", "events@104:$e104",
                "receipts@105:@r105"), seen.list());
        assertEquals(1, resyncs.get());
        assertEquals(1, c.resyncs());
        assertEquals(0, c.errors());
        assertEquals(EPOCH_1, c.epoch());
    }

    @Test
    void aReaderStartingAtAnOldTokenResyncsOnce() throws Exception {
        startRelay(100);
        events(101, "$e101");
        receipt(102, "@r102");
        TokenStore store = TokenStore.inMemory();
        store.save(new Tokens(EPOCH_1, Map.of("events", "50", "receipts", "99")));
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).tokenStore(store));
        await(c, 102);
        assertEquals(List.of("RESYNC", "events@101:$e101", "receipts@102:@r102"), seen.list());
        assertEquals(1, c.resyncs());
        assertEquals(102, store.load().orElseThrow().position());
    }

    @Test
    void anEpochChangeResyncsOnceAndContinuesInTheNewHistory() throws Exception {
        startRelay(100);
        events(101, "$e101");
        events(102, "$e102");
        CountDownLatch in102 = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TokenStore store = TokenStore.inMemory();
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).tokenStore(store).limit(1).on("events", row -> {
            if (row.position() == 102) {
                in102.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }));
        await(in102);
        assertEquals(EPOCH_1, c.epoch());
        // the slot was recreated: a new WAL history whose positions happen to start higher
        status.epoch = EPOCH_2;
        log.reset(200);
        events(201, "$new201");
        receipt(202, "@new202");
        release.countDown();

        await(c, 202);
        assertEquals(List.of("events@101:$e101", "events@102:$e102", "RESYNC", "events@201:$new201",
                "receipts@202:@new202"), seen.list());
        assertEquals(1, c.resyncs());
        assertEquals(EPOCH_2, c.epoch());
        assertEquals(EPOCH_2, store.load().orElseThrow().epoch());
    }

    @Test
    void anEpochChangeToLowerPositionsIsNotMistakenForProgress() throws Exception {
        startRelay(1000);
        events(1001, "$old");
        CountDownLatch in1001 = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).on("events", row -> {
            if (row.position() == 1001) {
                in1001.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }));
        await(in1001);
        status.epoch = EPOCH_2;
        log.reset(10); // the new history is behind the reader's token: only the epoch tells
        events(11, "$new11");
        release.countDown();

        awaitThat("the row of the new history", () -> seen.list().contains("events@11:$new11"));
        assertEquals(List.of("events@1001:$old", "RESYNC", "events@11:$new11"), seen.list());
        assertEquals(1, c.resyncs());
        assertEquals(EPOCH_2, c.epoch());
        assertTrue(c.awaitPosition(11, WAIT));
    }

    @Test
    void anEpochChangeSeenOnAnAnswerDropsItsRowsAndStartsAgainFromTheOldest() throws Exception {
        startRelay(100);
        events(101, "$e101");
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen));
        await(c, 101);
        // the next request is parked (then its answer carries the new epoch) or arrives after the switch (then
        // the relay refuses its epoch with 410): either way the reader resyncs once and reads from the oldest
        status.epoch = EPOCH_2;
        events(102, "$e102");
        awaitThat("the rows again", () -> seen.list().size() >= 4);
        await(c, 102);
        assertEquals(List.of("events@101:$e101", "RESYNC", "events@101:$e101", "events@102:$e102"), seen.list());
        assertEquals(1, c.resyncs());
        assertEquals(EPOCH_2, c.epoch());
    }

    // --- failures -----------------------------------------------------------------------------------------------

    @Test
    void whileTheRelayIsDownErrorsAreCountedThenReadingRecoversWithoutGaps() throws Exception {
        startRelay(100);
        events(101, "$e101");
        Seen seen = new Seen();
        // a short poll: a request parked when the server stops may not be reset by the stop, and then ends only
        // at the client's request timeout (poll timeout + 10 s)
        ReplicationClient c = started(client(seen).pollTimeout(Duration.ofMillis(200)));
        await(c, 101);
        int samePort = port;

        stopServer();
        awaitThat("errors while the relay is down", () -> c.errors() >= 3);
        assertNotNull(c.lastError());
        events(102, "$e102");
        receipt(103, "@r103");
        startServer(samePort);

        await(c, 103);
        assertEquals(List.of("events@101:$e101", "events@102:$e102", "receipts@103:@r103"), seen.list());
        assertEquals(0, c.resyncs());
        long errors = c.errors();
        events(104, "$e104");
        await(c, 104);
        assertEquals(errors, c.errors(), "no errors once the relay is back");
    }

    @Test
    void connectionRefusedIsRetriedWithGrowingBackoffUntilTheRelayStarts() throws Exception {
        int refusing = freePort();
        log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        log.start(100);
        events(101, "$e101");
        Seen seen = new Seen();
        port = refusing;
        long t0 = System.nanoTime();
        ReplicationClient c = started(client(seen).backoff(Duration.ofMillis(50), Duration.ofSeconds(1)));
        awaitThat("five failed attempts", () -> c.errors() >= 5);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // after errors 1..4 it slept at least half of 50, 100, 200, 400 ms (jitter 0.5..1.5): 375 ms in all; a
        // backoff that did not grow would be done in at most 4 x 75 = 300 ms
        assertTrue(elapsedMs >= 375, "backoff grows: five attempts took only " + elapsedMs + " ms");
        assertTrue(c.lastError().contains("Connect"), c.lastError());

        startServer(refusing);
        await(c, 101);
        assertEquals(List.of("events@101:$e101"), seen.list());
    }

    @Test
    void aRelayThatIsNotReadyIsRetriedWithGrowingBackoff() throws Exception {
        log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC()); // not started: 503 M_NOT_READY
        startServer(0);
        Seen seen = new Seen();
        long t0 = System.nanoTime();
        ReplicationClient c = started(client(seen).backoff(Duration.ofMillis(50), Duration.ofSeconds(1)));
        awaitThat("five refused attempts", () -> c.errors() >= 5);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(elapsedMs >= 375, "backoff grows on 5xx too: five attempts took only " + elapsedMs + " ms");
        assertTrue(c.lastError().contains("503"), c.lastError());

        log.start(100);
        events(101, "$e101");
        await(c, 101);
        assertEquals(List.of("events@101:$e101"), seen.list());
        assertEquals(0, c.resyncs());
    }

    @Test
    void aLongPollRefusedWithRetryAfterWaitsThatLongBeforeItsNextRequest() throws Exception {
        log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        log.start(100);
        app = HttpApi.create(log, FIELDS, HttpConfig.defaults().withListen("127.0.0.1", 0).withMaxWaiting(1), status)
                .start();
        apps.add(app);
        port = app.port();
        // another reader holds the relay's only waiting slot, so the client's long-poll is refused
        HttpClient other = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> parked = other.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/_synapse/replication?events=100&timeout=60000")).build(),
                HttpResponse.BodyHandlers.ofString());
        awaitThat("the other reader is parked", () -> waitingOnRelay() == 1);

        RecordingHttpClient wire = new RecordingHttpClient(HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5)).build());
        Seen seen = new Seen();
        // a backoff of 10..100 ms: a client that ignored Retry-After would be back within 150 ms
        ReplicationClient c = started(client(seen).from("100").httpClient(wire));
        awaitThat("three refused polls", () -> wire.answered(503) >= 3);

        List<RecordingHttpClient.Exchange> ex = wire.exchanges();
        int gaps = 0;
        for (int i = 0; i + 1 < ex.size(); i++) {
            RecordingHttpClient.Exchange refused = ex.get(i);
            if (refused.status() != 503) {
                continue;
            }
            assertEquals("1", refused.retryAfter(), "the relay's 503 says when to retry: " + refused);
            RecordingHttpClient.Exchange next = ex.get(i + 1);
            long gapMs = TimeUnit.NANOSECONDS.toMillis(next.sentNanos() - refused.answeredNanos());
            assertTrue(gapMs >= 1000, "next request " + gapMs + " ms after a 503 with Retry-After: 1; requests " + ex);
            gaps++;
        }
        assertTrue(gaps >= 2, "gaps measured: " + gaps + " in " + ex);
        assertTrue(c.lastError().contains("503 M_LIMIT_EXCEEDED"), c.lastError());

        // the slot frees (the other reader is answered): the client follows again, without a resync
        events(101, "$e101");
        assertEquals(200, parked.get(20, TimeUnit.SECONDS).statusCode());
        await(c, 101);
        assertEquals(List.of("events@101:$e101"), seen.list());
        assertEquals(0, c.resyncs());
    }

    /** Long-polls parked on the relay, as its {@code /health} reports them. */
    private int waitingOnRelay() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            return new ObjectMapper().readTree(r.body()).path("waiting").asInt(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // --- streams the relay does not serve ---------------------------------------------------------------------

    @Test
    void aStreamTheRelayDoesNotServeIsReportedMissingAndTheOthersAreFollowed() throws Exception {
        startRelay(100);
        events(101, "$e101");
        receipt(102, "@r102");
        Seen seen = new Seen();
        TokenStore store = TokenStore.inMemory();
        ReplicationClient c = started(client(seen).tokenStore(store).on("public_rooms", seen));
        await(c, 102);
        assertEquals(List.of("events@101:$e101", "receipts@102:@r102"), seen.list());
        assertEquals(Set.of("public_rooms"), c.missingStreams());
        assertEquals("custom", c.catalog());
        assertTrue(c.following());
        assertTrue(c.polls() >= 1);
        assertEquals(0, c.errors(), "the catalog was asked first: no poll named the missing stream");
        assertEquals(Set.of("events", "receipts"), store.load().orElseThrow().byStream().keySet());
        events(103, "$e103");
        await(c, 103);
        assertEquals(0, c.errors());
    }

    @Test
    void aPollRefusedForAnUnknownStreamAsksTheCatalogAgainAndStopsNamingIt() throws Exception {
        // the relay's catalog lists receipts but its log has no such stream, so every poll naming receipts is
        // refused with 400 M_INVALID_PARAM "unknown stream 'receipts'" (what a reader sees when the relay changed
        // between its catalog request and its poll): one refusal, then receipts is missing and events followed
        Map<String, List<String>> eventsOnly = only("events");
        log = new StreamLog(eventsOnly.keySet(), UNBOUNDED, Clock.systemUTC());
        log.start(100);
        startServer(0, FIELDS);
        events(101, "$e101");
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen));
        await(c, 101);
        assertEquals(Set.of("receipts"), c.missingStreams());
        assertEquals(1, c.errors(), "one refused poll, not a loop: " + c.lastError());
        assertTrue(c.lastError().contains("receipts") && c.lastError().contains("400"), c.lastError());
        for (long p = 102; p <= 110; p++) {
            events(p, "$e" + p);
        }
        await(c, 110);
        assertEquals(1, c.errors(), "still one: " + c.lastError());
        assertTrue(c.following());
        assertEquals(10, seen.list().size());
    }

    @Test
    void aRelayRestartedWithoutAStreamThenWithItAgainDropsCachesBeforeFollowingItFromThePosition()
            throws Exception {
        startRelay(100);
        both(101, "$e101", "@r101");
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).pollTimeout(Duration.ofMillis(200)));
        await(c, 101);
        int samePort = port;

        // the relay comes back with a catalog without receipts (same WAL history, same positions)
        stopServer();
        StreamLog full = log;
        log = new StreamLog(only("events").keySet(), UNBOUNDED, Clock.systemUTC());
        log.start(101);
        startServer(samePort, only("events"));
        events(102, "$e102");
        await(c, 102);
        assertEquals(Set.of("receipts"), c.missingStreams());
        assertEquals(Set.of("events"), c.tokens().byStream().keySet());

        // and again with receipts: rows of receipts it committed meanwhile were never seen, so the resync hook
        // runs before receipts is followed again, from the reader's position
        stopServer();
        log = full;
        events(102, "$e102");
        receipt(103, "@r103");
        startServer(samePort, FIELDS);
        await(c, 103);
        List<String> got = seen.list();
        // one transaction's rows of two streams may come in either stream order
        assertEquals(Set.of("events@101:$e101", "receipts@101:@r101"), Set.copyOf(got.subList(0, 2)));
        assertEquals(List.of("events@102:$e102", "RESYNC", "receipts@103:@r103"), got.subList(2, got.size()));
        assertEquals(Set.of(), c.missingStreams());
        assertEquals(0, c.resyncs(), "not a 410 or a new epoch");
        assertEquals(Map.of("events", "103", "receipts", "103"), c.tokens().byStream());
    }

    @Test
    void aRelayServingNoneOfTheFollowedStreamsIsAnErrorWithBackoffNotAPollLoop() throws Exception {
        startRelay(100);
        Seen seen = new Seen();
        ReplicationClient c = started(ReplicationClient.builder(URI.create("http://127.0.0.1:" + port))
                .on("typing", seen).backoff(Duration.ofMillis(50), Duration.ofSeconds(1)));
        awaitThat("refused attempts", () -> c.errors() >= 3);
        assertEquals(Set.of("typing"), c.missingStreams());
        assertFalse(c.following());
        assertTrue(c.lastError().contains("serves none"), c.lastError());
        assertEquals(-1, c.position());
    }

    // --- close --------------------------------------------------------------------------------------------------

    @Test
    void closeStopsAParkedClientPromptly() throws Exception {
        startRelay(100);
        events(101, "$e101");
        AtomicReference<Thread> reader = new AtomicReference<>();
        Seen seen = new Seen();
        ReplicationClient c = started(client(seen).pollTimeout(Duration.ofSeconds(60))
                .on("events", row -> reader.set(Thread.currentThread())));
        await(c, 101);
        long t0 = System.nanoTime();
        c.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 5_000, "close took " + ms + " ms with a 60 s poll in flight");
        assertFalse(reader.get().isAlive());
        events(102, "$e102");
        assertFalse(c.awaitPosition(102, Duration.ofMillis(100)));
        assertEquals(List.of("events@101:$e101"), seen.list());
        c.close(); // twice is fine
    }

    @Test
    void closeStopsAClientThatIsBackingOffPromptly() throws Exception {
        int refusing = freePort();
        port = refusing;
        Set<Thread> before = readerThreads();
        ReplicationClient c = started(client(new Seen()).backoff(Duration.ofSeconds(30), Duration.ofSeconds(60)));
        awaitThat("a failed attempt", () -> c.errors() >= 1);
        Set<Thread> mine = readerThreads();
        mine.removeAll(before);
        assertEquals(1, mine.size());
        long t0 = System.nanoTime();
        c.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 5_000, "close took " + ms + " ms during a 15..45 s backoff");
        assertFalse(mine.iterator().next().isAlive());
    }

    private static Set<Thread> readerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("synrep-reader"))
                .filter(Thread::isAlive).collect(Collectors.toCollection(java.util.HashSet::new));
    }
}

package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.RowEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpApiTest {
    private static final String EPOCH = "7312345678901234567/synrep_test_slot";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> EVENT_FIELDS =
            List.of("stream_ordering", "event_id", "room_id", "type", "state_key", "redacts");
    private static final Map<String, List<String>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("events", EVENT_FIELDS);
        FIELDS.put("receipts", List.of("stream_id", "room_id", "receipt_type", "user_id", "event_id", "data"));
        FIELDS.put("caches", List.of("stream_id", "cache_func", "keys", "invalidation_ts"));
    }

    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));

    /** A relay whose writer position the test sets. */
    static final class TestStatus implements RelayStatus {
        volatile OptionalLong writer = OptionalLong.of(Long.MAX_VALUE);
        volatile boolean streaming = true;
        volatile long lastAsked = -1;
        volatile Map<String, String> streamStates = Map.of();

        @Override
        public Map<String, String> streamStates() {
            return streamStates;
        }

        @Override
        public boolean streaming() {
            return streaming;
        }

        @Override
        public String epoch() {
            return EPOCH;
        }

        @Override
        public OptionalLong writerPosition(long atLeast) {
            lastAsked = atLeast;
            return writer;
        }

        @Override
        public String describe() {
            return "test relay";
        }
    }

    /** A checked response: status, parsed JSON body and headers. */
    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String errcode() {
            return body.path(ErrorAnswer.ERRCODE).asText(null);
        }
    }

    private final TestStatus status = new TestStatus();
    private final RowEncoder encoder = new RowEncoder();
    private final List<ExecutorService> executors = new ArrayList<>();
    private StreamLog log;
    private Javalin app;
    private PollHandler poll;
    private HttpClient client;
    private String base;

    private void start(HttpConfig config, RetentionConfig retention, long startPosition) {
        log = new StreamLog(FIELDS.keySet(), retention, Clock.systemUTC());
        log.start(startPosition);
        startServer(config);
    }

    private void start(long startPosition) {
        start(HttpConfig.defaults().withListen("127.0.0.1", 0), UNBOUNDED, startPosition);
    }

    private void startServer(HttpConfig config) {
        app = HttpApi.create(log, FIELDS, config, status, p -> poll = p).start();
        base = "http://127.0.0.1:" + app.port();
        ExecutorService clientThreads = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "test-http-client");
            t.setDaemon(true);
            return t;
        });
        executors.add(clientThreads);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads).build();
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop();
        }
        executors.forEach(ExecutorService::shutdownNow);
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    private HttpRequest request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(60)).GET().build();
    }

    private Reply poll(String query) {
        return send(request(Endpoint.PATH + "?" + query));
    }

    private CompletableFuture<Reply> pollAsync(String query) {
        return client.sendAsync(request(Endpoint.PATH + "?" + query), HttpResponse.BodyHandlers.ofString())
                .thenApply(HttpApiTest::check);
    }

    private Reply send(HttpRequest req) {
        try {
            return check(client.send(req, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The contract every response keeps, errors included: JSON, the epoch header, never a server crash. */
    private static Reply check(HttpResponse<String> r) {
        String where = r.request().uri() + " -> " + r.statusCode() + " " + r.body();
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), where);
        assertEquals(EPOCH, r.headers().firstValue(HttpApi.EPOCH_HEADER).orElse(null), where);
        assertTrue(r.statusCode() < 500 || r.statusCode() == 503, where);
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + where, e);
        }
        assertTrue(body.isObject(), where);
        boolean probe = r.request().uri().getPath().equals("/health");
        if (r.statusCode() != 200 && !probe) {
            assertTrue(body.path("errcode").isTextual(), where);
            assertFalse(body.path("error").asText("").isBlank(), where);
            assertFalse(r.body().contains("\tat "), "no stack trace: " + where);
        }
        return new Reply(r.statusCode(), body, r);
    }

    private static Reply await(CompletableFuture<Reply> f, long seconds) {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("no response within " + seconds + " s", e);
        }
    }

    /** Waits (bounded) until {@code value} reaches {@code expected}: a condition, not a guess at timing. */
    private static void awaitValue(String what, IntSupplier value, int expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (value.getAsInt() != expected) {
            if (System.nanoTime() > deadline) {
                fail(what + ": expected " + expected + ", still " + value.getAsInt());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private void awaitParked(int n) {
        awaitValue("parked requests", () -> poll.waiting(), n);
    }

    private byte[] eventTail(long streamOrdering, String eventId) {
        return encoder.encodeTail(new Object[] {streamOrdering, eventId, "!room:hs", "m.room.message", null, null});
    }

    private static String eventRow(long position, long streamOrdering, String eventId) {
        return "[" + position + "," + streamOrdering + ",\"" + eventId + "\",\"!room:hs\",\"m.room.message\",null,null]";
    }

    private void appendEvents(long position, String... eventIds) {
        List<byte[]> tails = new ArrayList<>();
        for (int i = 0; i < eventIds.length; i++) {
            tails.add(eventTail(i + 1, eventIds[i]));
        }
        assertTrue(log.append(new Transaction(position, Map.of("events", tails))));
    }

    private void appendCache(long position) {
        byte[] tail = encoder.encodeTail(new Object[] {1L, "get_user", List.of("@u:hs"), 0L});
        assertTrue(log.append(new Transaction(position, Map.of("caches", List.of(tail)))));
    }

    private void appendReceipt(long position) {
        byte[] tail = encoder.encodeTail(new Object[] {1L, "!room:hs", "m.read", "@u:hs", "$e", null});
        assertTrue(log.append(new Transaction(position, Map.of("receipts", List.of(tail)))));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fieldNames(String stream) {
        StringBuilder sb = new StringBuilder("[\"position\"");
        FIELDS.get(stream).forEach(f -> sb.append(",\"").append(f).append('"'));
        return sb.append(']').toString();
    }

    private static JsonNode page(String stream, long position, String... rows) {
        return json("{\"position\":" + position + ",\"field_names\":" + fieldNames(stream) + ",\"rows\":["
                + String.join(",", rows) + "]}");
    }

    private static void assertError(Reply r, int status, String errcode) {
        assertEquals(status, r.status(), r.body().toString());
        assertEquals(errcode, r.errcode(), r.body().toString());
    }

    // --- successful reads ---------------------------------------------------------------------------------------

    @Test
    void rowsFromTheOldestRetainedPosition() {
        start(100);
        appendEvents(200, "$a", "$b");
        Reply r = poll("events=-1&timeout=0");
        assertEquals(200, r.status());
        JsonNode expected = json("{\"events\":" + page("events", 200, eventRow(200, 1, "$a"), eventRow(200, 2, "$b"))
                + "}");
        assertEquals(expected, r.body());
        assertEquals("application/json", r.raw().headers().firstValue("Content-Type").orElse("").split(";")[0]);
    }

    @Test
    void symbolicTokensLearnTheirPositionEvenWithoutRows() {
        start(100);
        assertEquals(json("{\"events\":" + page("events", 100) + "}"), poll("events=-1&timeout=0").body());
        log.advance(400);
        assertEquals(json("{\"events\":" + page("events", 400) + ",\"receipts\":" + page("receipts", 400) + "}"),
                poll("events=-1&receipts=now&timeout=0").body());
        assertEquals(json("{}"), poll("events=400&timeout=0").body(), "an integer token at the head: nothing to say");
    }

    @Test
    void integerAndLsnTokensAreTheSamePosition() {
        start(0x16B0000L);
        appendEvents(0x16B3748L, "$first");
        appendEvents(0x16B4000L, "$second");
        JsonNode expected = json("{\"events\":" + page("events", 0x16B4000L, eventRow(0x16B4000L, 1, "$second")) + "}");
        assertEquals(expected, poll("events=0/16B3748&timeout=0").body());
        assertEquals(expected, poll("events=" + 0x16B3748L + "&timeout=0").body());
        assertEquals(expected, poll("events=0%2F16b3748&timeout=0").body(), "percent-encoded slash, lower case");
    }

    @Test
    void nowSkipsHistory() {
        start(100);
        appendEvents(200, "$old");
        Reply r = poll("events=now&timeout=0");
        assertEquals(200, r.status());
        assertEquals(json("{\"events\":" + page("events", 200) + "}"), r.body(),
                "no rows, but the reader learns the position it now stands at");
        appendEvents(300, "$new");
        assertEquals(json("{\"events\":" + page("events", 300, eventRow(300, 1, "$new")) + "}"),
                poll("events=200&timeout=0").body());
    }

    @Test
    void onlyNamedStreamsAreServed() {
        start(100);
        appendEvents(200, "$a");
        appendReceipt(300);
        Reply r = poll("receipts=-1&timeout=0");
        assertEquals(List.of("receipts"), fieldNamesOf(r.body()));
        JsonNode receipts = r.body().get("receipts");
        assertEquals(300, receipts.get("position").asLong());
        assertEquals(json(fieldNames("receipts")), receipts.get("field_names"));
        assertEquals(json("[[300,1,\"!room:hs\",\"m.read\",\"@u:hs\",\"$e\",null]]"), receipts.get("rows"));
    }

    @Test
    void theCatalogListsEveryServedStreamInOrderWithItsFieldNames() {
        start(100);
        Reply r = send(request("/_synapse/replication/catalog"));
        assertEquals(200, r.status());
        assertEquals(HttpApi.CUSTOM_CATALOG, r.body().get("catalog").asText());
        JsonNode streams = r.body().get("streams");
        assertEquals(FIELDS.size(), streams.size());
        int i = 0;
        for (Map.Entry<String, List<String>> e : FIELDS.entrySet()) {
            JsonNode s = streams.get(i++);
            assertEquals(e.getKey(), s.get("name").asText());
            assertEquals(json(fieldNames(e.getKey())), s.get("field_names"), "what a poll page of it carries");
        }
    }

    @Test
    void theCatalogIsServedBeforeTheLogStarts() {
        log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        startServer(HttpConfig.defaults().withListen("127.0.0.1", 0));
        assertEquals(503, poll("events=-1").status());
        Reply r = send(request("/_synapse/replication/catalog"));
        assertEquals(200, r.status(), "a reader learns the streams while the relay starts");
        assertEquals(FIELDS.size(), r.body().get("streams").size());
    }

    @Test
    void aStreamWhosePositionMovedIsReportedWithoutRows() {
        start(100);
        appendEvents(200, "$a");
        appendCache(300);
        Reply r = poll("events=100&caches=300&receipts=100&timeout=0");
        JsonNode expected = json("{\"events\":" + page("events", 300, eventRow(200, 1, "$a"))
                + ",\"receipts\":" + page("receipts", 300) + "}");
        assertEquals(expected, r.body(), "caches is at the head and is left out");
    }

    @Test
    void theMetaStreamListsEveryStreamAtTheHead() {
        start(100);
        appendEvents(200, "$a");
        long started = System.nanoTime();
        Reply r = poll("streams=-1");
        assertTrue(elapsedMillis(started) < 5_000, "the meta stream answers at once, not after the default timeout");
        assertEquals(json("{\"streams\":{\"position\":200,\"field_names\":[\"name\",\"position\"],"
                + "\"rows\":[[\"events\",200],[\"receipts\",200],[\"caches\",200]]}}"), r.body());

        Reply both = poll("events=-1&streams=-1&timeout=0");
        assertEquals(List.of("events", "streams"), fieldNamesOf(both.body()));
        assertEquals(1, both.body().get("events").get("rows").size());
    }

    @Test
    void limitIsASoftCapThatNeverSplitsATransaction() {
        start(100);
        appendEvents(200, "$1", "$2", "$3", "$4", "$5");
        appendEvents(300, "$6");
        Reply r = poll("events=-1&limit=2&timeout=0");
        JsonNode events = r.body().get("events");
        assertEquals(5, events.get("rows").size());
        assertEquals(200, events.get("position").asLong(), "cut after the transaction: resume from its position");
        Reply rest = poll("events=200&limit=2&timeout=0");
        assertEquals(json("{\"events\":" + page("events", 300, eventRow(300, 1, "$6")) + "}"), rest.body());
    }

    @Test
    void aLargePageIsStreamedWhole() {
        start(100);
        String[] ids = new String[20_000];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "$event_" + i;
        }
        appendEvents(200, ids);
        JsonNode rows = poll("events=-1&limit=1&timeout=0").body().get("events").get("rows");
        assertEquals(ids.length, rows.size());
        assertEquals(json(eventRow(200, 20_000, "$event_19999")), rows.get(ids.length - 1));
    }

    @Test
    void healthReportsPositions() {
        start(100);
        appendEvents(200, "$a");
        Reply r = send(request("/health"));
        assertEquals(200, r.status());
        assertEquals("streaming", r.body().get("status").asText());
        assertEquals(200, r.body().get("position").asLong());
        assertEquals(100, r.body().get("earliest").asLong());
        status.streaming = false;
        assertEquals(503, send(request("/health")).status());
    }

    @Test
    void healthListsEachStreamsStateAndStaysUpWhenOneIsInError() {
        start(100);
        Map<String, String> states = new LinkedHashMap<>();
        states.put("events", "ok");
        states.put("receipts", "error: table public.receipts_linearized does not exist (dropped?)");
        status.streamStates = states;
        Reply r = send(request("/health"));
        assertEquals(200, r.status(), "the other streams are still served");
        assertEquals("ok", r.body().get("streams").get("events").asText());
        assertTrue(r.body().get("streams").get("receipts").asText().startsWith("error: table"));
        List<String> order = new ArrayList<>();
        r.body().get("streams").fieldNames().forEachRemaining(order::add);
        assertEquals(List.of("events", "receipts"), order, "in catalog order");
    }

    // --- errors -------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {
        "events=abc", "events=", "events=-5", "events=1/", "events=/1", "events=1/2/3", "events=g/1",
        "events=123456789/0", "events=99999999999999999999",
        "events=0&limit=0", "events=0&limit=-1", "events=0&limit=ten",
        "events=0&timeout=-1", "events=0&timeout=abc", "events=0&timeout=1.5",
        "typing=0", "events=0&typing=0", "Events=0",
        "events=0&events=1", "events=0&timeout=1&timeout=1", "events=0&limit=1&limit=1",
        "", "timeout=0", "streams=0", "streams=-1&streams=-1",
    })
    void invalidParameters(String query) {
        start(100);
        Reply r = poll(query);
        assertError(r, 400, "M_INVALID_PARAM");
        assertEquals(0, poll.waiting());
    }

    @Test
    void theErrorNamesTheProblem() {
        start(100);
        assertTrue(poll("typing=0").body().get("error").asText().contains("typing"));
        assertTrue(poll("events=0&limit=0").body().get("error").asText().contains("limit"));
        assertTrue(poll("events=0&events=1").body().get("error").asText().contains("events"));
    }

    @Test
    void aTokenBelowTheHorizonIsTooOld() {
        start(HttpConfig.defaults().withListen("127.0.0.1", 0), new RetentionConfig(1, Long.MAX_VALUE,
                Duration.ofDays(1)), 100);
        appendEvents(200, "$a");
        appendEvents(300, "$b");
        assertEquals(200, log.horizon());
        Reply r = poll("events=150&timeout=0");
        assertError(r, 410, "M_POSITION_TOO_OLD");
        assertEquals(200, r.body().get("earliest").asLong());
        assertError(poll("events=0/64&timeout=0"), 410, "M_POSITION_TOO_OLD");
        // the horizon itself is still served
        assertEquals(json("{\"events\":" + page("events", 300, eventRow(300, 1, "$b")) + "}"),
                poll("events=200&timeout=0").body());
        // -1 means "from the oldest retained", never too old
        assertEquals(200, poll("events=-1&timeout=0").status());
    }

    @Test
    void aTokenAheadOfTheWriterIsAnError() {
        start(100);
        appendEvents(200, "$a");
        status.writer = OptionalLong.of(1_000);
        assertError(poll("events=1001&timeout=0"), 400, "M_POSITION_AHEAD");
        assertEquals(1001, status.lastAsked, "the writer is asked whether it has reached the token");
        assertError(poll("events=1/0&timeout=0"), 400, "M_POSITION_AHEAD");
        assertError(poll("events=100&receipts=5000&timeout=0"), 400, "M_POSITION_AHEAD");
        assertEquals(0, poll.waiting());
    }

    @Test
    void aTokenAheadOfTheRelayButNotTheWriterWaits() {
        start(100);
        appendEvents(200, "$a");
        status.writer = OptionalLong.of(1_000);
        long started = System.nanoTime();
        Reply r = poll("events=500&timeout=300");
        assertEquals(200, r.status());
        assertEquals(json("{}"), r.body());
        assertTrue(elapsedMillis(started) >= 250, "it waited for its timeout");
        assertEquals(200, poll("events=1000&timeout=0").status(), "exactly the writer's position is fine");
    }

    @Test
    void aTokenAheadOfTheRelayIsAnsweredOnceTheRelayPassesIt() {
        start(100);
        appendEvents(200, "$a");
        status.writer = OptionalLong.of(1_000);
        CompletableFuture<Reply> f = pollAsync("events=500&timeout=30000");
        awaitParked(1);
        appendEvents(400, "$behind");
        appendEvents(600, "$after");
        Reply r = await(f, 10);
        assertEquals(json("{\"events\":" + page("events", 600, eventRow(600, 1, "$after")) + "}"), r.body(),
                "rows at or below the reader's token are never sent");
    }

    @Test
    void anUnaskableWriterMeansWait() {
        start(100);
        status.writer = OptionalLong.empty();
        Reply r = poll("events=999999&timeout=100");
        assertEquals(200, r.status());
        assertEquals(json("{}"), r.body());
    }

    @Test
    void tooManyWaitingRequests() {
        start(HttpConfig.defaults().withListen("127.0.0.1", 0).withMaxWaiting(2), UNBOUNDED, 100);
        CompletableFuture<Reply> first = pollAsync("events=100&timeout=30000");
        CompletableFuture<Reply> second = pollAsync("receipts=100&timeout=30000");
        awaitParked(2);

        Reply third = poll("events=100&timeout=30000");
        assertError(third, 503, "M_LIMIT_EXCEEDED");
        String retryAfter = third.raw().headers().firstValue("Retry-After").orElse(null);
        assertNotNull(retryAfter, "503 must say when to retry");
        assertTrue(Long.parseLong(retryAfter) >= 0, retryAfter);
        assertEquals(2, poll.waiting(), "the refused request holds no slot");

        // requests that need not wait are still served
        assertEquals(200, poll("events=100&timeout=0").status());
        assertEquals(200, poll("streams=-1").status());
        assertFalse(first.isDone() || second.isDone());

        appendEvents(200, "$a");
        appendReceipt(300);
        assertEquals(200, await(first, 10).status());
        assertEquals(200, await(second, 10).status());
        awaitParked(0);

        CompletableFuture<Reply> again = pollAsync("events=200&timeout=30000");
        awaitParked(1);
        appendEvents(400, "$b");
        assertEquals(json("{\"events\":" + page("events", 400, eventRow(400, 1, "$b")) + "}"), await(again, 10).body());
    }

    @Test
    void unknownPathsAreJson404() {
        start(100);
        for (String path : List.of("/nope", "/_synapse/replication/events", "/_synapse")) {
            Reply r = send(request(path));
            assertEquals(404, r.status(), path);
            assertNotNull(r.errcode(), path);
        }
    }

    @Test
    void otherMethodsGetJson() {
        start(100);
        HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/_synapse/replication?events=0"))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        Reply r = send(post);
        assertTrue(r.status() == 404 || r.status() == 405, r.raw().body());
    }

    @Test
    void anUnstartedLogIsNotReadyYet() {
        log = new StreamLog(FIELDS.keySet(), UNBOUNDED, Clock.systemUTC());
        startServer(HttpConfig.defaults().withListen("127.0.0.1", 0));
        Reply r = poll("events=-1&timeout=0");
        assertError(r, 503, "M_NOT_READY");
        assertEquals(503, send(request("/health")).status());
    }

    // --- long-poll ----------------------------------------------------------------------------------------------

    @Test
    void aParkedRequestIsAnsweredByAnAppend() {
        start(100);
        appendEvents(200, "$a");
        long started = System.nanoTime();
        CompletableFuture<Reply> f = pollAsync("events=200&timeout=30000");
        awaitParked(1);
        assertFalse(f.isDone(), "nothing new yet: the request is held");
        appendCache(250);
        assertFalse(f.isDone(), "rows for another stream do not answer it");

        appendEvents(300, "$b", "$c");
        Reply r = await(f, 10);
        assertTrue(elapsedMillis(started) < 5_000, "answered by the append, long before its timeout");
        assertEquals(json("{\"events\":" + page("events", 300, eventRow(300, 1, "$b"), eventRow(300, 2, "$c"))
                + "}"), r.body());
        awaitParked(0);
    }

    @Test
    void aParkedRequestOnSeveralStreamsReportsEveryMovedStream() {
        start(100);
        CompletableFuture<Reply> f = pollAsync("events=100&receipts=100&timeout=30000");
        awaitParked(1);
        appendReceipt(200);
        Reply r = await(f, 10);
        assertEquals(json("{\"events\":" + page("events", 200) + ",\"receipts\":"
                + page("receipts", 200, "[200,1,\"!room:hs\",\"m.read\",\"@u:hs\",\"$e\",null]") + "}"), r.body());
    }

    @Test
    void timeoutZeroAnswersAtOnce() {
        start(HttpConfig.defaults().withListen("127.0.0.1", 0), UNBOUNDED, 100);
        long started = System.nanoTime();
        Reply r = poll("events=100&timeout=0");
        assertEquals(200, r.status());
        assertEquals(json("{}"), r.body());
        assertTrue(elapsedMillis(started) < 5_000);
        assertEquals(0, poll.waiting());
    }

    @Test
    void aTimeoutWithNothingMovedAnswersEmpty() {
        start(100);
        long started = System.nanoTime();
        Reply r = poll("events=100&receipts=100&timeout=300");
        assertEquals(200, r.status());
        assertEquals(json("{}"), r.body());
        assertTrue(elapsedMillis(started) >= 250, "held for its timeout");
        awaitParked(0);
    }

    @Test
    void aTimeoutAfterOnlyAMovedHeadAnswersThePositionWithoutRows() {
        start(100);
        long started = System.nanoTime();
        CompletableFuture<Reply> f = pollAsync("events=100&timeout=500");
        awaitParked(1);
        log.advance(700);
        Reply r = await(f, 10);
        assertTrue(elapsedMillis(started) >= 450, "a moved head alone does not answer early");
        assertEquals(json("{\"events\":" + page("events", 700) + "}"), r.body());
    }

    @Test
    void aTimeoutAboveTheMaximumIsClamped() {
        start(new HttpConfig("127.0.0.1", 0, 100, 300, 100, 10_000, 100), UNBOUNDED, 100);
        long started = System.nanoTime();
        Reply r = poll("events=100&timeout=3600000");
        assertEquals(json("{}"), r.body());
        assertTrue(elapsedMillis(started) < 5_000);
        Reply byDefault = poll("events=100");
        assertEquals(json("{}"), byDefault.body());
    }

    @Test
    void aParkedRequestWhoseTokenFallsBehindTheHorizonGetsTooOld() {
        start(HttpConfig.defaults().withListen("127.0.0.1", 0), new RetentionConfig(1, Long.MAX_VALUE,
                Duration.ofDays(1)), 100);
        appendEvents(200, "$a");
        CompletableFuture<Reply> f = pollAsync("receipts=200&timeout=30000");
        awaitParked(1);
        appendCache(300);
        appendReceipt(400); // evicts the cache row at 300: the horizon passes the parked token
        Reply r = await(f, 10);
        assertError(r, 410, "M_POSITION_TOO_OLD");
        assertEquals(300, r.body().get("earliest").asLong());
    }

    @Test
    void aThousandWaitingRequestsHoldNoThreads() {
        start(100);
        int n = 1_000;
        assertEquals(200, poll("events=100&timeout=0").status()); // warm up client and server threads
        int before = ManagementFactory.getThreadMXBean().getThreadCount();

        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        // in batches, so that connection set-up never overflows the listen backlog
        for (int batch = 0; batch < n / 100; batch++) {
            for (int i = 0; i < 100; i++) {
                HttpRequest req = request("/_synapse/replication?events=100&timeout=20000");
                replies.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofString()).thenApply(HttpApiTest::check));
            }
            awaitParked((batch + 1) * 100);
        }
        int during = ManagementFactory.getThreadMXBean().getThreadCount();
        System.out.printf("threads: %d before, %d with %d parked requests%n", before, during, n);
        assertTrue(during - before < 300, "threads grew from " + before + " to " + during);
        for (CompletableFuture<Reply> f : replies) {
            assertFalse(f.isDone());
        }

        long started = System.nanoTime();
        appendEvents(200, "$wake");
        JsonNode expected = json("{\"events\":" + page("events", 200, eventRow(200, 1, "$wake")) + "}");
        for (CompletableFuture<Reply> f : replies) {
            Reply r = await(f, 15);
            assertEquals(200, r.status());
            assertEquals(expected, r.body());
        }
        assertTrue(elapsedMillis(started) < 15_000, "all answered by the append, before their timeout");
        awaitParked(0);
    }

    // --- fan-out: readers asking the same question share one encoded body ----------------------------------------

    @Test
    void readersAtOnePositionShareOneEncoding() {
        start(100);
        appendEvents(200, "$a");
        int n = 50;
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replies.add(pollAsync("events=200&timeout=30000"));
        }
        awaitParked(n);
        long before = poll.encodings();
        appendEvents(300, "$b", "$c");
        JsonNode expected = json("{\"events\":" + page("events", 300, eventRow(300, 1, "$b"), eventRow(300, 2, "$c"))
                + "}");
        for (CompletableFuture<Reply> f : replies) {
            assertEquals(expected, await(f, 15).body());
        }
        assertEquals(1, poll.encodings() - before, "one body assembled for " + n + " identical requests");

        // a reader at another position gets its own body, and later readers of the same page share it
        before = poll.encodings();
        assertEquals(json("{\"events\":" + page("events", 300, eventRow(200, 1, "$a"), eventRow(300, 1, "$b"),
                eventRow(300, 2, "$c")) + "}"), poll("events=100&timeout=0").body());
        assertEquals(expected, poll("events=200&timeout=0").body());
        assertEquals(1, poll.encodings() - before);
    }

    @Test
    void aSharedBodyIsNeverServedAfterTheHeadMoved() {
        start(100);
        appendEvents(200, "$a");
        assertEquals(200, poll("events=100&timeout=0").body().path("events").path("position").asLong());
        log.advance(250); // a heartbeat: no rows, but the position a reader resumes from moved
        Reply r = poll("events=100&timeout=0");
        assertEquals(json("{\"events\":" + page("events", 250, eventRow(200, 1, "$a")) + "}"), r.body());
        assertEquals(2, poll.encodings());
        // the order of streams in the request is the order in the body: requests differing only in it do not share
        appendReceipt(300);
        poll("events=100&receipts=100&timeout=0");
        poll("receipts=100&events=100&timeout=0");
        assertEquals(4, poll.encodings());
    }

    // --- epochs and resets ------------------------------------------------------------------------------------------

    @Test
    void currentEpochIsServedAndAnOldOneIsTooOld() {
        start(100);
        appendEvents(150, "$a");
        Reply same = poll("events=100&timeout=0&epoch=" + java.net.URLEncoder.encode(EPOCH, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(200, same.status());
        assertEquals(150, same.body().path("events").path("position").asLong());

        Reply old = poll("events=100&timeout=0&epoch=7312345678901234567-synrep-0");
        assertEquals(410, old.status());
        assertEquals("M_POSITION_TOO_OLD", old.errcode());
        assertEquals(100, old.body().path("earliest").asLong());
        assertTrue(old.body().path("error").asText().contains("epoch"), old.body().toString());

        assertEquals(400, poll("events=100&epoch=").status());
        assertEquals(400, poll("events=100&epoch=a&epoch=a").status());
    }

    @Test
    void resetAnswersParkedReadersWithTooOld() {
        start(100);
        CompletableFuture<Reply> parked = pollAsync("events=100&timeout=30000");
        awaitParked(1);
        long started = System.nanoTime();
        log.reset(500);
        Reply r = await(parked, 15);
        assertEquals(410, r.status(), r.body().toString());
        assertEquals(500, r.body().path("earliest").asLong());
        assertTrue(elapsedMillis(started) < 15_000, "answered by the reset, before its timeout");
        awaitParked(0);

        Reply fresh = poll("events=500&timeout=0");
        assertEquals(200, fresh.status());
    }

    // --- small helpers -------------------------------------------------------------------------------------------

    private static long elapsedMillis(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    private static List<String> fieldNamesOf(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import io.synrep.config.Secret;
import io.synrep.protocol.Endpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * At least 10,000 generated requests ({@link FuzzRequests}) over real sockets against a relay API with a secret,
 * while transactions are appended. Every request gets the answer {@link FuzzOracle} gives its class: the status and
 * errcode (401 with the secret missing or wrong, 400 for malformed tokens and parameters, 400
 * {@code M_POSITION_AHEAD} past the writer, 410 below the horizon or for another epoch, Jetty's rejections, ...),
 * and for a 200 of the replication endpoint exactly the rows the log held after the token (whole transactions,
 * identified by position and event id, the soft limit respected). Besides: no 5xx but the readiness probe's, every
 * error has the JSON body, no secret echoed, every request answered; afterwards the relay serves exactly the appended
 * rows. The seed is printed; {@code -Dsynrep.fuzz.seed=N} replays a run, {@code -Dsynrep.fuzz.requests=N} changes
 * its size.
 */
class HttpFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "fuzz-secret-0123456789abcdef";
    /** The writer's position the relay reports: far above anything appended during the run. */
    private static final long WRITER = 10_000_000;
    /** The log starts here: tokens below it are too old. */
    private static final long HORIZON = 100;

    @Test
    void generatedRequestsGetTheirClassesAnswers() throws Exception {
        long seed = Long.getLong("synrep.fuzz.seed", 20261128L);
        int requests = Integer.getInteger("synrep.fuzz.requests", 12_000);
        HttpConfig config = HttpConfig.defaults().withListen("127.0.0.1", 0).withLimits(100, 10_000)
                .withAuth(Secret.of(SECRET)).withIdleTimeout(2_000);
        FuzzRequests gen = new FuzzRequests(seed, SECRET, WRITER);
        // Jetty's header limit as the listener sets it: the query length plus 8 KiB
        FuzzOracle oracle = new FuzzOracle(SECRET, ServedLog.EPOCH, HORIZON, WRITER, config.maxQueryLength() + 8192,
                config.maxQueryLength(), config.defaultLimit(), config.maxLimit(), ServedLog.FIELDS.keySet());
        Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        Map<String, LongAdder> classes = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger failureCount = new AtomicInteger();
        List<long[]> appended = new ArrayList<>(); // {position, rows}
        AtomicLong lastAppended = new AtomicLong(HORIZON);
        System.out.println("FIGURES fuzz seed " + seed + " (replay with -Dsynrep.fuzz.seed=" + seed + ")");
        try (ServedLog served = new ServedLog(config, HORIZON, WRITER)) {
            AtomicBoolean fuzzing = new AtomicBoolean(true);
            Thread appender = new Thread(() -> {
                long position = HORIZON;
                while (fuzzing.get()) {
                    position += 100;
                    int n = rowsAt(position);
                    served.appendEvents(position, n);
                    lastAppended.set(position); // after the append: a request sent now finds at least this
                    synchronized (appended) {
                        appended.add(new long[] {position, n});
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "fuzz-appender");
            appender.start();
            long started = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int i = first; i < requests; i += 8) {
                        FuzzRequests.Generated g = gen.get(i);
                        FuzzOracle.Expected expected = oracle.expect(g.request());
                        classes.computeIfAbsent(expected.status() + " " + expected.why(), k -> new LongAdder())
                                .increment();
                        String outcome;
                        try {
                            long before = lastAppended.get();
                            RawHttp.Response r = RawHttp.exchange(served.port(), g.bytes(), !g.head());
                            // one append may be in the log and not yet counted
                            long after = lastAppended.get() + 100;
                            outcome = Integer.toString(r.status());
                            String problem = problem(r, g, expected, before, after);
                            if (problem != null) {
                                failureCount.incrementAndGet();
                                if (failures.size() < 20) {
                                    failures.add("#" + i + " " + problem + "\n  expected: " + expected.status() + " "
                                            + expected.errcode() + " (" + expected.why() + ")\n  request: " + g.shown()
                                            + "\n  response: " + r.status() + " " + r.headers() + " "
                                            + PollRequest.shorten(r.body()));
                                }
                            }
                        } catch (IOException e) {
                            outcome = "no response";
                            failureCount.incrementAndGet();
                            if (failures.size() < 20) {
                                failures.add("#" + i + " no response: " + e + "\n  request: " + g.shown());
                            }
                        }
                        counts.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
            pool.shutdown();
            fuzzing.set(false);
            appender.join();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            Map<String, Long> table = new TreeMap<>();
            counts.forEach((k, v) -> table.put(k, v.sum()));
            Map<String, Long> byClass = new TreeMap<>();
            classes.forEach((k, v) -> byClass.put(k, v.sum()));
            long sent = table.values().stream().mapToLong(Long::longValue).sum();
            System.out.println("FIGURES fuzz: " + sent + " requests in " + millis + " ms, seed " + seed
                    + ", status counts " + table + ", failures " + failureCount.get() + ", parked at end "
                    + served.waiting());
            System.out.println("FIGURES fuzz classes (expected status and class): " + byClass);
            failures.forEach(System.out::println);
            assertEquals(requests, sent);
            assertTrue(sent >= 10_000);
            assertEquals(0, failureCount.get(), "failures (first 20 printed above): " + failures);

            assertServesExactly(served, appended);
        }
    }

    /** Rows of the transaction the appender writes at {@code position}. */
    private static int rowsAt(long position) {
        return 1 + (int) (position / 100 % 3);
    }

    /** What is wrong with a response, or null. */
    private static String problem(RawHttp.Response r, FuzzRequests.Generated g, FuzzOracle.Expected expected,
                                  long appendedBefore, long appendedAfter) {
        int status = r.status();
        // near Jetty's header limit, any of Jetty's own rejections (a JSON error it wrote: M_UNRECOGNIZED or
        // M_TOO_LARGE) may come first; the relay's own answers are never accepted in place of another
        JsonNode jettyBody = g.head() ? null : json(r);
        String jettyErrcode = jettyBody == null ? null : jettyBody.path("errcode").asText("");
        boolean jettyRejection = (status == 400 || status == 414 || status == 431)
                && (g.head() || "M_UNRECOGNIZED".equals(jettyErrcode) || "M_TOO_LARGE".equals(jettyErrcode));
        boolean statusOk = status == expected.status() || expected.nearLimit() && jettyRejection;
        if (!statusOk) {
            return "status " + status + ", expected " + expected.status() + " (" + expected.why() + ")";
        }
        String shape = shape(r, g, expected);
        if (shape != null) {
            return shape;
        }
        if (g.head() || status != expected.status()) {
            return null; // headers only, or one of Jetty's rejections near its header limit
        }
        JsonNode body = json(r);
        if (expected.errcode() != null) {
            String errcode = body == null ? null : body.path("errcode").asText(null);
            if (!expected.errcode().equals(errcode)) {
                return "errcode " + errcode + ", expected " + expected.errcode() + " (" + expected.why() + ")";
            }
        }
        if (status == 410 && body.path("earliest").asLong(-1) != HORIZON) {
            return "410 without earliest " + HORIZON;
        }
        if (status == 401 && r.header(HttpApi.EPOCH_HEADER) != null) {
            return "a 401 names the epoch";
        }
        if (status == 200 && expected.route() != null) {
            return switch (expected.route()) {
                case REPLICATION -> rows(body, expected.poll(), appendedBefore, appendedAfter);
                case HEALTH -> "streaming".equals(body.path("status").asText()) ? null : "health not streaming";
                case LIVE -> "live".equals(body.path("status").asText()) ? null : "liveness not live";
                case STATUS -> ServedLog.EPOCH.equals(body.path("epoch").asText()) ? null : "status without the epoch";
                case OPENAPI -> body.has("openapi") ? null : "not the OpenAPI document";
                case PAGE -> r.header("content-type").startsWith("text/html") ? null : "status page not HTML";
                case METRICS -> r.header("content-type").startsWith("text/plain") ? null : "metrics not text";
                default -> "200 for " + expected.route();
            };
        }
        if (status == 503 && !"not_ready".equals(body.path("status").asText())) {
            return "503 other than the readiness probe's";
        }
        return null;
    }

    /** The form every answer must have, whatever its class: JSON errors, no stack traces, no secret. */
    private static String shape(RawHttp.Response r, FuzzRequests.Generated g, FuzzOracle.Expected expected) {
        int status = r.status();
        String type = r.header("content-type");
        if (status >= 500 && !(status == 503 && expected.route() == FuzzOracle.Route.READY)) {
            return "server error " + status;
        }
        boolean text = expected.route() == FuzzOracle.Route.PAGE || expected.route() == FuzzOracle.Route.METRICS;
        if (!(status == 200 && text) && (type == null || !type.startsWith("application/json"))) {
            return "not JSON: " + type;
        }
        if (g.head()) {
            return null;
        }
        if (!(status == 200 && text)) {
            JsonNode body = json(r);
            if (body == null || !body.isObject()) {
                return "body is not a JSON object";
            }
            if (status >= 400 && status != 503) {
                if (!body.path("errcode").isTextual() || body.path("error").asText("").isBlank()) {
                    return "error without errcode/error";
                }
                if (r.body().contains("\tat ") || r.body().contains("Exception")) {
                    return "stack trace in the body";
                }
                if (status == 401 && r.header("www-authenticate") == null) {
                    return "401 without WWW-Authenticate";
                }
            }
        }
        if (r.body().contains(SECRET)) {
            return "the secret is echoed";
        }
        return null;
    }

    private static JsonNode json(RawHttp.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether a 200 of the replication endpoint holds exactly what the log held: for each stream asked, the appended
     * transactions after its token up to the page's position (whole, by position, stream ordering and event id), the
     * soft limit respected, and the page's position at least the log's head when the request was sent unless the
     * limit cut it; no stream that was not asked for.
     *
     * @param appendedBefore the last position appended before the request was sent
     * @param appendedAfter  a position no later than anything appended by the time the answer arrived
     */
    private static String rows(JsonNode body, FuzzOracle.Poll poll, long appendedBefore, long appendedAfter) {
        Set<String> allowed = new TreeSet<>(poll.tokens().keySet());
        if (poll.meta()) {
            allowed.add(Endpoint.META_STREAM);
        }
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                return "stream " + name + " was not asked for";
            }
        }
        if (poll.meta()) {
            JsonNode meta = body.path(Endpoint.META_STREAM);
            long p = meta.path("position").asLong(-1);
            if (p < appendedBefore || p > appendedAfter) {
                return "meta stream at " + p + ", outside " + appendedBefore + ".." + appendedAfter;
            }
            Set<String> named = new TreeSet<>();
            for (JsonNode row : meta.path("rows")) {
                named.add(row.path(0).asText());
                if (row.path(1).asLong(-1) != p) {
                    return "meta stream row " + row + " not at " + p;
                }
            }
            if (!named.equals(ServedLog.FIELDS.keySet().stream().collect(java.util.stream.Collectors.toCollection(
                    TreeSet::new)))) {
                return "meta stream names " + named;
            }
        }
        for (Map.Entry<String, FuzzOracle.Token> e : poll.tokens().entrySet()) {
            FuzzOracle.Token token = e.getValue();
            Long from = switch (token.kind()) {
                case OLDEST -> HORIZON;
                case AT -> token.position();
                case NOW -> null; // the head when the request was read: at least appendedBefore
            };
            JsonNode page = body.get(e.getKey());
            if (page == null) {
                if (from == null || token.kind() == FuzzOracle.Token.Kind.OLDEST) {
                    return e.getKey() + ": no page for " + token.kind();
                }
                if (from < appendedBefore) {
                    return e.getKey() + ": no page after " + from + " though the log had moved to " + appendedBefore;
                }
                continue;
            }
            long p = page.path("position").asLong(-1);
            JsonNode rows = page.path("rows");
            if (p > appendedAfter || from != null && p < from) {
                return e.getKey() + ": position " + p + " outside " + from + ".." + appendedAfter;
            }
            if (e.getKey().equals("receipts")) {
                if (!rows.isEmpty()) {
                    return "receipts rows though none were appended";
                }
                if (p < appendedBefore || from != null && p < from) {
                    return "receipts at " + p + ", behind the log's head " + appendedBefore;
                }
                continue;
            }
            if (from == null) { // now: the rows after the head it resolved to, which was at least appendedBefore
                from = rows.isEmpty() ? p : rows.get(0).get(0).asLong() - 1;
                if (from < appendedBefore && !rows.isEmpty()) {
                    return "now: a row at " + (from + 1) + ", at or below the head " + appendedBefore;
                }
            }
            List<Object[]> model = appendedRows(from, p);
            if (model.size() != rows.size()) {
                return e.getKey() + ": " + rows.size() + " rows after " + from + " up to " + p + ", the log held "
                        + model.size();
            }
            long lastPosition = -1;
            int beforeLast = 0;
            for (int k = 0; k < rows.size(); k++) {
                JsonNode row = rows.get(k);
                Object[] m = model.get(k);
                if (row.get(0).asLong() != (long) m[0] || row.get(1).asLong() != (long) m[1]
                        || !row.get(2).asText().equals(m[2])) {
                    return e.getKey() + ": row " + k + " is " + row + ", the log held " + java.util.Arrays.toString(m);
                }
                if ((long) m[0] != lastPosition) {
                    beforeLast = k;
                    lastPosition = (long) m[0];
                }
            }
            if (beforeLast >= poll.limit()) {
                return e.getKey() + ": " + rows.size() + " rows for limit " + poll.limit()
                        + ": a transaction began after the limit was reached";
            }
            if (rows.size() < poll.limit() && p < appendedBefore) {
                return e.getKey() + ": stopped at " + p + " under the limit though the log had reached " + appendedBefore;
            }
        }
        return null;
    }

    /** The rows the appender wrote after {@code from} up to {@code to}: {position, stream_ordering, event_id}. */
    private static List<Object[]> appendedRows(long from, long to) {
        List<Object[]> out = new ArrayList<>();
        for (long p = Math.max(HORIZON + 100, (Math.floorDiv(from, 100) + 1) * 100); p <= to; p += 100) {
            for (int i = 0; i < rowsAt(p); i++) {
                out.add(new Object[] {p, (long) i + 1, ServedLog.eventId(p, i)});
            }
        }
        return out;
    }

    private static void assertServesExactly(ServedLog served, List<long[]> appended) throws IOException {
        String auth = "Authorization: Bearer " + SECRET + "\r\n";
        long total = appended.stream().mapToLong(a -> a[1]).sum();
        long last = appended.get(appended.size() - 1)[0];
        RawHttp.Response all = RawHttp.get(served.port(), "/_synapse/replication?events=-1&timeout=0&limit=10000",
                auth);
        assertEquals(200, all.status(), all.body());
        JsonNode page = JSON.readTree(all.body()).path("events");
        assertEquals(last, page.path("position").asLong());
        JsonNode rows = page.path("rows");
        assertEquals(total, rows.size(), "every appended row, once");
        int k = 0;
        for (long[] t : appended) {
            for (int i = 0; i < t[1]; i++, k++) {
                assertEquals(t[0], rows.get(k).get(0).asLong(), "row " + k);
                assertEquals(i + 1, rows.get(k).get(1).asLong(), "row " + k);
                assertEquals(ServedLog.eventId(t[0], i), rows.get(k).get(2).asText(), "row " + k);
            }
        }
        long middle = appended.get(appended.size() / 2)[0];
        RawHttp.Response after = RawHttp.get(served.port(), "/_synapse/replication?events=" + middle
                + "&receipts=-1&timeout=0&limit=10000", auth);
        JsonNode tail = JSON.readTree(after.body());
        long expected = appended.stream().filter(a -> a[0] > middle).mapToLong(a -> a[1]).sum();
        assertEquals(expected, tail.path("events").path("rows").size());
        assertEquals(middle + 100, tail.path("events").path("rows").get(0).get(0).asLong());
        assertEquals(last, tail.path("receipts").path("position").asLong());
        assertEquals(0, tail.path("receipts").path("rows").size());
        System.out.println("FIGURES fuzz afterwards: " + total + " rows in " + appended.size()
                + " transactions served exactly, positions 200.." + last);
    }
}

package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import io.synrep.config.Secret;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * At least 10,000 generated requests ({@link FuzzRequests}) over real sockets against a relay API with a secret,
 * while transactions are appended. Asserts: no 5xx, every 4xx (and 401) has the JSON error body, every 200 is a
 * well-formed answer, every request is answered; afterwards the relay serves exactly the appended rows.
 * The seed is printed; {@code -Dsynrep.fuzz.seed=N} replays a run, {@code -Dsynrep.fuzz.requests=N} changes its size.
 */
class HttpFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "fuzz-secret-0123456789abcdef";

    @Test
    void generatedRequestsNeverBreakTheRelay() throws Exception {
        long seed = Long.getLong("synrep.fuzz.seed", 20261128L);
        int requests = Integer.getInteger("synrep.fuzz.requests", 12_000);
        HttpConfig config = HttpConfig.defaults().withListen("127.0.0.1", 0).withLimits(100, 10_000)
                .withAuth(Secret.of(SECRET)).withIdleTimeout(2_000);
        FuzzRequests gen = new FuzzRequests(seed, SECRET);
        Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger failureCount = new AtomicInteger();
        List<long[]> appended = new ArrayList<>(); // {position, rows}
        System.out.println("FIGURES fuzz seed " + seed + " (replay with -Dsynrep.fuzz.seed=" + seed + ")");
        try (ServedLog served = new ServedLog(config, 100)) {
            AtomicBoolean fuzzing = new AtomicBoolean(true);
            Thread appender = new Thread(() -> {
                long position = 100;
                while (fuzzing.get()) {
                    position += 100;
                    int n = 1 + (int) (position / 100 % 3);
                    served.appendEvents(position, n);
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
                        String outcome;
                        try {
                            RawHttp.Response r = RawHttp.exchange(served.port(), g.bytes(), !g.head());
                            outcome = Integer.toString(r.status());
                            String problem = problem(r, g);
                            if (problem != null) {
                                failureCount.incrementAndGet();
                                if (failures.size() < 20) {
                                    failures.add("#" + i + " " + problem + "\n  request: " + g.shown()
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
            long sent = table.values().stream().mapToLong(Long::longValue).sum();
            System.out.println("FIGURES fuzz: " + sent + " requests in " + millis + " ms, seed " + seed
                    + ", status counts " + table + ", failures " + failureCount.get() + ", parked at end "
                    + served.waiting());
            failures.forEach(System.out::println);
            assertEquals(requests, sent);
            assertTrue(sent >= 10_000);
            assertEquals(0, failureCount.get(), "failures (first 20 printed above): " + failures);

            assertServesExactly(served, appended);
        }
    }

    /** The path of the generated request line ({@code METHOD PATH[?QUERY] VERSION}), or "" when it has none. */
    private static String requestPath(FuzzRequests.Generated g) {
        String line = g.shown().split("\n", 2)[0];
        String[] parts = line.strip().split(" +");
        if (parts.length < 2) {
            return "";
        }
        int q = parts[1].indexOf('?');
        return q < 0 ? parts[1] : parts[1].substring(0, q);
    }

    /** What is wrong with a response, or null. */
    private static String problem(RawHttp.Response r, FuzzRequests.Generated g) {
        int status = r.status();
        String type = r.header("content-type");
        String path = requestPath(g);
        if (status == 503 && path.equals("/health/ready") && r.body().startsWith("{\"status\":\"not_ready\"")) {
            // the readiness probe's own answer (this relay has no capture, so its lag is unknown), whatever the query
            return null;
        }
        if (status >= 500) {
            return "server error " + status;
        }
        if (status == 200 && type != null && (path.equals("/") && type.startsWith("text/html")
                || path.equals("/metrics") && type.startsWith("text/plain"))) {
            return null; // the status page and the Prometheus text: the only answers that are not JSON
        }
        if (type == null || !type.startsWith("application/json")) {
            return "not JSON: " + type;
        }
        if (g.head()) {
            return null; // headers only
        }
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            return "unparsable body";
        }
        if (body == null || !body.isObject()) {
            return "body is not an object";
        }
        if (status >= 400) {
            if (!body.path("errcode").isTextual() || body.path("error").asText("").isBlank()) {
                return "error without errcode/error";
            }
            if (r.body().contains("\tat ") || r.body().contains("Exception")) {
                return "stack trace in the body";
            }
            if (status == 401 && r.header("www-authenticate") == null) {
                return "401 without WWW-Authenticate";
            }
        } else if (status == 200 && path.equals("/_synapse/replication")) {
            for (JsonNode page : body) {
                if (!page.path("position").isIntegralNumber() || !page.path("rows").isArray()) {
                    return "malformed page";
                }
                for (JsonNode row : page.path("rows")) {
                    if (row.path(0).asLong() > page.path("position").asLong()) {
                        return "row after its page's position";
                    }
                }
            }
        }
        if (r.body().contains(SECRET)) {
            return "the secret is echoed";
        }
        return null;
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

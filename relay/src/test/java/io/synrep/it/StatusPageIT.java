package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.Secret;
import io.synrep.streams.Catalog;
import org.junit.jupiter.api.Test;

/**
 * The status page in a real headless browser against a real relay on a real PostgreSQL: the numbers the page
 * shows after its scripts ran are those of {@code /status} and of the replication endpoint. Also checks the
 * readiness probe and the captured-row metrics against the rows written. Saves a screenshot under target/.
 */
class StatusPageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENTS = 40;
    private static final int RECEIPTS = 7;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void thePageShowsWhatTheApiSays() throws Exception {
        HeadlessBrowser browser = HeadlessBrowser.require();
        String url = TestPostgres.freshDatabase("statuspage");
        String slot = SqlRows.dbName(url);
        try (Relay relay = RelayFixture.start(url, slot); Connection c = TestPostgres.connect(url)) {
            RelayFixture.awaitStreaming(relay);
            String base = RelayFixture.base(relay);
            for (int i = 1; i <= EVENTS - 10; i++) {
                SqlRows.event(c, i);
            }
            c.setAutoCommit(false); // ten rows in one transaction: rows and transactions differ
            for (int i = EVENTS - 9; i <= EVENTS; i++) {
                SqlRows.event(c, i);
            }
            c.commit();
            c.setAutoCommit(true);
            for (int i = 1; i <= RECEIPTS; i++) {
                SqlRows.receipt(c, 1000 + i, i);
            }
            awaitCondition("relay reads the writes and samples its lag", () -> {
                JsonNode s = status(base);
                return s.get("captured_rows").asLong() == EVENTS + RECEIPTS
                        && s.get("capture").get("lag_bytes").asLong() >= 0
                        && s.get("slot").get("wal_held_bytes").asLong() >= 0;
            });

            HttpResponse<String> ready = get(base + "/health/ready");
            assertEquals(200, ready.statusCode(), ready.body());
            String metrics = get(base + "/metrics").body();
            assertTrue(metrics.contains("synrep_stream_rows_captured_total{stream=\"events\"} " + EVENTS + ".0"), metrics);
            assertTrue(metrics.contains("synrep_stream_rows_captured_total{stream=\"receipts\"} " + RECEIPTS + ".0"),
                    metrics);

            // a reader waiting at the head: the page must count it
            CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(HttpRequest.newBuilder(
                    URI.create(base + "/_synapse/replication?events=now&timeout=60000")).build(),
                    HttpResponse.BodyHandlers.ofString());
            awaitCondition("a parked reader", () -> status(base).get("waiting_requests").asInt() == 1);

            compareUntilStable(browser, base);

            // a screenshot while rows flow, so that the rows/s column has something to show
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                try (Connection w = TestPostgres.connect(url)) {
                    for (int i = EVENTS + 1; writing.get(); i++) {
                        SqlRows.event(w, i);
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "status-page-writer");
            writer.start();
            Path png = Path.of(System.getProperty("synrep.target", "target"), "status-page.png").toAbsolutePath();
            try {
                awaitRate(browser, base);
                browser.screenshot(base + "/", png, 1280, 900, 4000);
            } finally {
                writing.set(false);
                writer.join(10_000);
            }
            System.out.println("status page screenshot: " + png);
            waiting.cancel(true);
        }
    }

    /**
     * A relay with a secret serves the page's shell to anyone, but its figures only with the secret: without it the
     * page shows the secret form and no numbers; given the secret in the URL fragment (never sent to the server), it
     * shows the relay's position.
     */
    @Test
    void withASecretThePageAsksForItAndThenShowsTheFigures() throws Exception {
        HeadlessBrowser browser = HeadlessBrowser.require();
        String url = TestPostgres.freshDatabase("statusauth");
        String secret = "status-page-secret-0123456789";
        HttpConfig config = HttpConfig.defaults().withListen("127.0.0.1", 0).withAuth(Secret.of(secret));
        try (Relay relay = Relay.start(RelayFixture.capture(url, SqlRows.dbName(url)), config,
                RetentionConfig.defaults(), Catalog.builtin())) {
            RelayFixture.awaitStreaming(relay);
            String base = RelayFixture.base(relay);
            assertEquals(401, get(base + "/status").statusCode());
            String locked = browser.dumpDom(base + "/", 3000);
            assertTrue(locked.contains("<form id=\"auth\">"), "the secret form is shown: " + locked);
            assertTrue(locked.contains("the relay requires its secret (401)"), locked);
            assertEquals("-", text(locked, "id=\"position\">([^<]*)<"), "no figures without the secret");

            long before = authorizedStatus(base, secret).get("position").asLong();
            String dom = browser.dumpDom(base + "/#secret=" + secret, 3000);
            long after = authorizedStatus(base, secret).get("position").asLong();
            assertTrue(dom.contains("<form id=\"auth\" hidden=\"\">"), "the form stays hidden: " + dom);
            long shown = card(dom, "position");
            assertTrue(shown >= before && shown <= after, "page shows " + shown + ", relay was at " + before + ".."
                    + after);
            assertTrue(shown > 0);
        }
    }

    private JsonNode authorizedStatus(String base, String secret) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/status"))
                .header("Authorization", "Bearer " + secret).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /**
     * Loads the page and compares what it shows with /status read just before and just after it. The relay may
     * move between the two reads (heartbeats, WAL without rows); the comparison is then repeated.
     */
    private void compareUntilStable(HeadlessBrowser browser, String base) throws Exception {
        for (int attempt = 1; attempt <= 5; attempt++) {
            JsonNode before = status(base);
            String dom = browser.dumpDom(base + "/", 3000);
            JsonNode after = status(base);
            if (!stable(before).equals(stable(after))) {
                System.out.println("relay moved while the page loaded (attempt " + attempt + "); again");
                continue;
            }
            JsonNode s = after;
            assertEquals("streaming", text(dom, "id=\"state\"[^>]*>([^<]*)<"));
            assertEquals(s.get("position").asLong(), card(dom, "position"));
            assertEquals(s.get("horizon").asLong(), card(dom, "horizon"));
            assertEquals(s.get("capture").get("lag_bytes").asLong(), card(dom, "lag"));
            assertEquals(s.get("slot").get("wal_held_bytes").asLong(), card(dom, "wal-held"));
            assertEquals(s.get("retained_rows").asLong(), card(dom, "retained-rows"));
            assertEquals(s.get("captured_rows").asLong(), card(dom, "captured-rows"));
            assertEquals(1, card(dom, "waiting"));
            assertEquals(EVENTS + RECEIPTS, card(dom, "captured-rows"));

            JsonNode page = JSON.readTree(get(base + "/_synapse/replication?events=-1&receipts=-1&timeout=0&limit=10000")
                    .body());
            for (String stream : new String[] {"events", "receipts"}) {
                String row = text(dom, "<tr data-stream=\"" + stream + "\">(.*?)</tr>");
                JsonNode api = page.get(stream);
                JsonNode rows = api.get("rows");
                JsonNode st = s.get("streams").get(stream);
                assertEquals(api.get("position").asLong(), cell(row, "position"), stream + " position");
                assertEquals(rows.get(rows.size() - 1).get(0).asLong(), cell(row, "last-row"), stream + " last row");
                assertEquals(rows.size(), cell(row, "retained"), stream + " retained rows");
                assertEquals(st.get("captured_rows").asLong(), cell(row, "captured"), stream + " captured rows");
                assertEquals(stream.equals("events") ? EVENTS : RECEIPTS, cell(row, "captured"));
                assertEquals("0.0", text(row, "<td class=\"rate\">([^<]*)<"), stream + ": no writes, no rate");
                assertEquals(st.get("state").asText(), text(row, "<td class=\"state[^\"]*\">([^<]*)<"), stream);
                assertEquals("ok", st.get("state").asText(), stream + ": the writer's schema has what it needs");
            }
            assertEquals(-1, cell(text(dom, "<tr data-stream=\"presence\">(.*?)</tr>"), "last-row"),
                    "a stream without rows shows no last row");
            return;
        }
        fail("the relay never stood still for the length of a page load");
    }

    /** While rows flow, the page's rows/s for events turns positive (within a few page loads). */
    private void awaitRate(HeadlessBrowser browser, String base) throws Exception {
        String shown = "";
        for (int attempt = 1; attempt <= 5; attempt++) {
            String row = text(browser.dumpDom(base + "/", 4000), "<tr data-stream=\"events\">(.*?)</tr>");
            shown = text(row, "<td class=\"rate\">([^<]*)<");
            if (!shown.equals("-") && Double.parseDouble(shown) > 0) {
                return;
            }
        }
        fail("rows flow but the page's events rate stays " + shown);
    }

    private static String stable(JsonNode s) {
        return s.get("position") + " " + s.get("horizon") + " " + s.get("capture").get("lag_bytes") + " "
                + s.get("slot").get("wal_held_bytes") + " " + s.get("captured_rows") + " " + s.get("waiting_requests");
    }

    private static long card(String dom, String id) {
        return number(text(dom, "id=\"" + id + "\">([^<]*)<"));
    }

    private static long cell(String row, String cls) {
        return number(text(row, "<td class=\"" + cls + "\">([^<]*)<"));
    }

    private static long number(String shown) {
        return shown.equals("-") ? -1 : Long.parseLong(shown.replace(",", ""));
    }

    private static String text(String html, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(html);
        if (!m.find()) {
            fail("page lacks " + regex + ":\n" + html);
        }
        return m.group(1);
    }

    private JsonNode status(String base) throws Exception {
        HttpResponse<String> r = get(base + "/status");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitCondition(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}

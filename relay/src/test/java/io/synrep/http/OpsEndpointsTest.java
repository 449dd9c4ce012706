package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.RetentionConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Health probes, /status, /metrics and the status page against a real log and a real server on port 0. */
class OpsEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));
    private OpsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode json(HttpResponse<String> r) {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.body());
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readyOnlyWhileStreamingWithinTheLagBound() {
        server = new OpsServer(100, HttpConfig.defaults().withListen("127.0.0.1", 0), UNBOUNDED, new OpsConfig(1000));
        OpsServer.Relay relay = server.relay;
        relay.lag = 1000;
        HttpResponse<String> r = server.get("/health/ready");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("ready", body.get("status").asText());
        assertEquals(1000, body.get("lag_bytes").asLong());
        assertEquals(1000, body.get("max_lag_bytes").asLong());
        assertEquals(0, body.get("reasons").size());

        relay.lag = 1001;
        r = server.get("/health/ready");
        assertEquals(503, r.statusCode(), r.body());
        body = json(r);
        assertEquals("not_ready", body.get("status").asText());
        assertEquals(1, body.get("reasons").size());
        assertTrue(body.get("reasons").get(0).asText().contains("lag 1001 bytes"), r.body());

        relay.lag = -1;
        r = server.get("/health/ready");
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(json(r).get("reasons").get(0).asText().contains("unknown"), r.body());

        relay.lag = 0;
        relay.streaming = false;
        r = server.get("/health/ready");
        assertEquals(503, r.statusCode(), r.body());
        body = json(r);
        assertFalse(body.get("streaming").asBoolean());
        assertTrue(body.get("reasons").get(0).asText().contains("not streaming (capture reconnecting: test)"),
                r.body());

        r = server.get("/health/live");
        assertEquals(200, r.statusCode(), "live while capture is down: the process serves HTTP");
        assertEquals("live", json(r).get("status").asText());
    }

    @Test
    void theOldHealthEndpointKeepsItsShape() {
        server = new OpsServer(100);
        server.appendEvents(200, 1);
        HttpResponse<String> r = server.get("/health");
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"streaming\",\"detail\":\"capture streaming\",\"position\":200,\"earliest\":100,"
                + "\"waiting\":0,\"responses\":0,\"encodings\":0}", r.body());
        server.relay.streaming = false;
        assertEquals(503, server.get("/health").statusCode());
    }

    @Test
    void statusReportsTheLogAndTheRelayFigures() throws Exception {
        server = new OpsServer(100);
        server.appendEvents(200, 3);
        server.appendReceipt(300);
        server.appendEvents(400, 2);
        server.log.advance(450); // WAL without rows moves the head only
        server.relay.lag = 77;
        server.relay.writer = 527;
        server.relay.states = Map.of("events", "ok", "receipts", "error: table receipts_linearized was dropped");
        CompletableFuture<HttpResponse<String>> parked = server.getAsync("/_synapse/replication?events=450&timeout=60000");
        server.awaitParked(1);

        JsonNode s = json(server.get("/status"));
        assertEquals(OpsServer.EPOCH, s.get("epoch").asText());
        assertTrue(s.get("capture").get("streaming").asBoolean());
        assertEquals(77, s.get("capture").get("lag_bytes").asLong());
        assertEquals(527, s.get("capture").get("writer_position").asLong());
        assertEquals(4096, s.get("slot").get("wal_held_bytes").asLong());
        assertEquals(1024, s.get("slot").get("wal_unconfirmed_bytes").asLong());
        assertEquals(1, s.get("waiting_requests").asInt());
        assertEquals(450, s.get("position").asLong());
        assertEquals(100, s.get("horizon").asLong());
        assertEquals(6, s.get("captured_rows").asLong());
        assertEquals(3, s.get("captured_transactions").asLong());
        assertEquals(6, s.get("retained_rows").asLong());
        JsonNode events = s.get("streams").get("events");
        assertEquals(5, events.get("captured_rows").asLong());
        assertEquals(5, events.get("retained_rows").asLong());
        assertEquals(400, events.get("last_row_position").asLong());
        JsonNode receipts = s.get("streams").get("receipts");
        assertEquals(300, receipts.get("last_row_position").asLong());
        assertEquals(1, receipts.get("captured_rows").asLong());
        assertEquals("ok", events.get("state").asText());
        assertEquals("error: table receipts_linearized was dropped", receipts.get("state").asText());

        // the positions agree with what the replication endpoint tells readers
        JsonNode page = json(server.get("/_synapse/replication?events=-1&receipts=-1&timeout=0"));
        assertEquals(page.get("events").get("position").asLong(), events.get("position").asLong());
        assertEquals(page.get("receipts").get("position").asLong(), receipts.get("position").asLong());
        JsonNode rows = page.get("events").get("rows");
        assertEquals(rows.get(rows.size() - 1).get(0).asLong(), events.get("last_row_position").asLong());
        assertEquals(rows.size(), events.get("retained_rows").asLong());

        server.appendEvents(500, 1);
        assertEquals(200, parked.get(30, TimeUnit.SECONDS).statusCode());
        server.awaitParked(0); // the count drops as the answer completes, which may trail the client's receipt
        s = json(server.get("/status"));
        assertEquals(0, s.get("waiting_requests").asInt());
        assertEquals(6, s.get("streams").get("events").get("captured_rows").asLong());
    }

    @Test
    void statusBeforeTheLogStartsHasNoPositions() {
        server = new OpsServer(-1);
        HttpResponse<String> r = server.get("/status");
        assertEquals(200, r.statusCode());
        JsonNode s = json(r);
        assertFalse(s.get("started").asBoolean());
        assertTrue(s.get("position").isNull());
        assertTrue(s.get("streams").get("events").get("last_row_position").isNull());
        assertTrue(s.get("streams").get("events").get("state").isNull(), "state unknown");
    }

    @Test
    void capturedRowsSurviveEvictionWhileRetainedRowsDoNot() {
        server = new OpsServer(100, HttpConfig.defaults().withListen("127.0.0.1", 0),
                new RetentionConfig(2, Long.MAX_VALUE, Duration.ofDays(1)), OpsConfig.defaults());
        server.appendEvents(200, 2);
        server.appendEvents(300, 2);
        server.appendEvents(400, 2);
        JsonNode events = json(server.get("/status")).get("streams").get("events");
        assertEquals(6, events.get("captured_rows").asLong());
        assertEquals(2, events.get("retained_rows").asLong());
        Map<String, Double> m = metrics();
        assertEquals(6.0, m.get("synrep_stream_rows_captured_total{stream=\"events\"}"));
        assertEquals(2.0, m.get("synrep_stream_rows_retained{stream=\"events\"}"));
        assertEquals(300.0, m.get("synrep_log_horizon_position"));
    }

    @Test
    void metricsExposeRelayFiguresResponsesAndTheJvm() throws Exception {
        server = new OpsServer(100);
        server.appendEvents(200, 3);
        server.appendReceipt(300);
        server.relay.lag = 77;
        assertEquals(400, server.get("/_synapse/replication?events=-1&limit=0").statusCode());
        assertEquals(200, server.get("/_synapse/replication?events=-1&timeout=0").statusCode());
        assertEquals(200, server.get("/_synapse/replication?events=300&timeout=300").statusCode(), "held 300 ms");
        CompletableFuture<HttpResponse<String>> parked = server.getAsync("/_synapse/replication?events=300&timeout=60000");
        server.awaitParked(1);

        // responses are counted after they were sent: wait for the count rather than race it
        awaitMetric("synrep_http_responses_total{endpoint=\"/_synapse/replication\",status=\"400\"}", 1.0);
        awaitMetric("synrep_http_responses_total{endpoint=\"/_synapse/replication\",status=\"200\"}", 2.0);
        Map<String, Double> m = metrics();
        assertEquals(3.0, m.get("synrep_stream_rows_captured_total{stream=\"events\"}"));
        assertEquals(1.0, m.get("synrep_stream_rows_captured_total{stream=\"receipts\"}"));
        assertEquals(1.0, m.get("synrep_stream_rows_retained{stream=\"receipts\"}"));
        assertEquals(2.0, m.get("synrep_transactions_captured_total"));
        assertEquals(4.0, m.get("synrep_log_retained_rows"));
        assertTrue(m.get("synrep_log_retained_bytes") > 0);
        assertEquals(300.0, m.get("synrep_log_head_position"));
        assertEquals(100.0, m.get("synrep_log_horizon_position"));
        assertEquals(77.0, m.get("synrep_capture_lag_bytes"));
        assertEquals(4096.0, m.get("synrep_slot_wal_held_bytes"));
        assertEquals(1024.0, m.get("synrep_slot_wal_unconfirmed_bytes"));
        assertEquals(1.0, m.get("synrep_capture_streaming"));
        assertEquals(1.0, m.get("synrep_poll_waiting"));
        assertEquals(2.0, m.get("synrep_poll_duration_seconds_count{status=\"200\"}"));
        assertEquals(1.0, m.get("synrep_poll_duration_seconds_bucket{status=\"200\",le=\"0.25\"}"),
                "the immediate answer only: the held one took at least 300 ms");
        assertEquals(2.0, m.get("synrep_poll_duration_seconds_bucket{status=\"200\",le=\"+Inf\"}"));
        assertTrue(m.get("synrep_poll_duration_seconds_sum{status=\"200\"}") >= 0.3);
        assertTrue(m.get("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"}") != null
                || m.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{area=\"heap\"")), m.keySet()::toString);
        assertTrue(m.get("jvm_threads_live_threads") > 0);
        assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_")), m.keySet()::toString);

        server.relay.lag = -1;
        server.relay.streaming = false;
        m = metrics();
        assertTrue(m.get("synrep_capture_lag_bytes").isNaN(), "unknown is NaN, not 0");
        assertEquals(0.0, m.get("synrep_capture_streaming"));
        server.appendEvents(400, 1);
        assertEquals(200, parked.get(30, TimeUnit.SECONDS).statusCode());
        server.get("/health/live");
        awaitMetric("synrep_http_responses_total{endpoint=\"/health/live\",status=\"200\"}", 1.0);
        server.get("/no/such/path");
        awaitMetric("synrep_http_responses_total{endpoint=\"other\",status=\"404\"}", 1.0);
        awaitMetric("synrep_http_responses_total{endpoint=\"/_synapse/replication\",status=\"200\"}", 3.0);
    }

    @Test
    void statusPageIsSelfContainedAndPollsStatus() {
        server = new OpsServer(100);
        HttpResponse<String> r = server.get("/");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String html = r.body();
        assertTrue(html.contains("fetch(\"status\""), "the page polls /status");
        for (String external : new String[] {"src=", "href=", "http://", "https://", "@import", "url("}) {
            assertFalse(html.contains(external), "no external asset: found " + external);
        }
    }

    private void awaitMetric(String key, double expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Double v = metrics().get(key);
        while (v == null || v != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(key + ": expected " + expected + ", is " + v);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            v = metrics().get(key);
        }
    }

    /** Parses the Prometheus text exposition into "name{labels}" to value. */
    private Map<String, Double> metrics() {
        HttpResponse<String> r = server.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        Map<String, Double> values = new HashMap<>();
        Pattern line = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{.*\\})?) (\\S+)$");
        for (String l : r.body().split("\n")) {
            Matcher mt = line.matcher(l);
            if (!l.startsWith("#") && mt.matches()) {
                values.put(mt.group(1), Double.parseDouble(mt.group(2)));
            }
        }
        return values;
    }
}

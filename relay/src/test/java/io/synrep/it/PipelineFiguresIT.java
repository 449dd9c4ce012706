package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Correctness of the whole path under load, and the figures docs/performance.md quotes (printed, not asserted: this
 * machine is shared and noisy; speed targets belong to the benchmark).
 */
class PipelineFiguresIT {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void commitToResponseLatencyAndThroughput() throws Exception {
        String url = TestPostgres.freshDatabase("figures");
        try (Relay relay = RelayFixture.start(url, "figures"); Connection c = TestPostgres.connect(url);
             PreparedStatement ins = c.prepareStatement(
                     "INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (?, '@lat:t', 'D')")) {
            RelayFixture.awaitStreaming(relay);
            String base = RelayFixture.base(relay);

            // latency: a long-poll waits at the head; one single-row commit; time from commit to response
            int n = 200;
            long[] micros = new long[n];
            for (int i = 0; i < n; i++) {
                long head = relay.log().head();
                CompletableFuture<HttpResponse<String>> pending = http.sendAsync(HttpRequest.newBuilder(URI.create(
                        base + "/_synapse/replication?device_lists=" + head + "&timeout=30000")).build(),
                        HttpResponse.BodyHandlers.ofString());
                ins.setLong(1, i + 1);
                ins.executeUpdate();
                long committed = System.nanoTime();
                HttpResponse<String> r = pending.get();
                micros[i] = (System.nanoTime() - committed) / 1000;
                assertEquals(200, r.statusCode(), r.body());
                JsonNode rows = JSON.readTree(r.body()).get("device_lists").get("rows");
                assertEquals(1, rows.size());
                assertEquals(i + 1, rows.get(0).get(1).asLong());
            }
            Arrays.sort(micros);
            System.out.printf("FIGURES commit->long-poll response over %d commits: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    n, micros[n / 2] / 1000.0, micros[(int) (n * 0.99)] / 1000.0, micros[n - 1] / 1000.0);

            // throughput: 20,000 single-row transactions from 4 connections; time until all are readable
            int total = 20_000;
            int threads = 4;
            Poller reader = new Poller(base, List.of("device_lists"), Long.toString(relay.log().head()));
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long t0 = System.nanoTime();
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int from = 1000 + t * (total / threads);
                jobs.add(pool.submit(() -> {
                    try (Connection w = TestPostgres.connect(url); PreparedStatement p = w.prepareStatement(
                            "INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (?, '@tp:t', 'D')")) {
                        for (int k = 0; k < total / threads; k++) {
                            p.setLong(1, from + k);
                            p.executeUpdate();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> j : jobs) {
                j.get();
            }
            long written = System.nanoTime();
            reader.pollUntil(() -> reader.rows("device_lists").size() >= total, Duration.ofSeconds(120));
            long readable = System.nanoTime();
            pool.shutdown();
            assertEquals(total, reader.rows("device_lists").size());
            assertEquals(total, reader.rows("device_lists").stream().map(r -> r.get(1).asLong()).distinct().count());
            System.out.printf("FIGURES %d single-row transactions (4 writers): written in %.2f s (%.0f tx/s), "
                            + "all readable over HTTP after %.2f s (%.0f rows/s end to end), %d ms after the last commit%n",
                    total, (written - t0) / 1e9, total / ((written - t0) / 1e9), (readable - t0) / 1e9,
                    total / ((readable - t0) / 1e9), (readable - written) / 1_000_000);
        }
    }
}

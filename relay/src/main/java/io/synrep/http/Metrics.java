package io.synrep.http;

import io.javalin.http.Context;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.synrep.log.StreamLog;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The relay's metrics in Prometheus text format ({@code GET /metrics}).
 *
 * <p>Nothing here sits on the append or notify path: every relay figure is a gauge or function counter that reads,
 * at scrape time, a counter the log, the poll handler or the relay's ticker already keeps. The only meters updated
 * as things happen are per HTTP response (a counter by status and a long-poll latency histogram), recorded once per
 * request after it was answered.
 *
 * <p>Each instance owns its registry, so two relays in one JVM (tests) never share meters. Thread-safe.
 */
final class Metrics implements AutoCloseable {
    /** Paths reported as themselves in the {@code endpoint} tag; anything else is {@code other} (bounded tags). */
    static final Set<String> ENDPOINTS = Set.of(OpsRoutes.REPLICATION, "/health", "/health/live", "/health/ready",
            "/status", "/metrics", "/openapi.json", "/");
    /** Histogram buckets of long-poll latency: immediate answers up to a request held for the 60 s cap. */
    private static final Duration[] POLL_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(25),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(1000), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(90)};
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    Metrics(StreamLog log, RelayStatus status, CaptureFigures figures, IntSupplier waiting) {
        for (String stream : log.streams()) {
            FunctionCounter.builder("synrep.stream.rows.captured", log, l -> l.streamStats(stream).appendedRows())
                    .description("Rows appended to the stream since the relay started (replays included)")
                    .tag("stream", stream).register(registry);
            Gauge.builder("synrep.stream.rows.retained", log, l -> l.streamStats(stream).retainedRows())
                    .description("Rows of the stream retained in memory now")
                    .tag("stream", stream).register(registry);
        }
        FunctionCounter.builder("synrep.transactions.captured", log, l -> l.stats().appendedTransactions())
                .description("Transactions with stream rows appended since the relay started").register(registry);
        Gauge.builder("synrep.log.retained.rows", log, l -> l.stats().retainedRows())
                .description("Rows retained in memory, all streams").register(registry);
        Gauge.builder("synrep.log.retained", log, l -> l.stats().retainedBytes()).baseUnit(BaseUnits.BYTES)
                .description("Estimated heap bytes of the retained rows").register(registry);
        Gauge.builder("synrep.log.head.position", log, l -> l.isStarted() ? l.head() : Double.NaN)
                .description("The relay's position: the commit LSN up to which it has read the WAL").register(registry);
        Gauge.builder("synrep.log.horizon.position", log, l -> l.isStarted() ? l.horizon() : Double.NaN)
                .description("The oldest token still served; older tokens get 410").register(registry);
        Gauge.builder("synrep.capture.lag", figures, f -> known(f.captureLag())).baseUnit(BaseUnits.BYTES)
                .description("Writer WAL position minus the relay's position, sampled about every second")
                .register(registry);
        Gauge.builder("synrep.writer.position", figures, f -> known(f.writerPosition()))
                .description("The writer's WAL insert position at the last sample").register(registry);
        Gauge.builder("synrep.slot.wal.held", figures, f -> known(f.walHeld())).baseUnit(BaseUnits.BYTES)
                .description("WAL the slot keeps on the writer (from its restart_lsn)").register(registry);
        Gauge.builder("synrep.slot.wal.unconfirmed", figures, f -> known(f.walUnconfirmed()))
                .baseUnit(BaseUnits.BYTES)
                .description("WAL past the slot's confirmed position; --max-wal-held caps this").register(registry);
        Gauge.builder("synrep.capture.streaming", status, s -> s.streaming() ? 1 : 0)
                .description("1 while capture streams from the slot, else 0").register(registry);
        Gauge.builder("synrep.poll.waiting", waiting, IntSupplier::getAsInt)
                .description("Long-poll requests held now").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private static double known(long value) {
        return value < 0 ? Double.NaN : value;
    }

    /** Counts one answered request; long-polls also go into the latency histogram. Called once per request. */
    void answered(Context ctx, float millis) {
        String status = Integer.toString(ctx.statusCode());
        String endpoint = ENDPOINTS.contains(ctx.path()) ? ctx.path() : "other";
        if (endpoint.equals(OpsRoutes.REPLICATION)) {
            Timer.builder("synrep.poll.duration")
                    .description("Time from a long-poll's arrival to its answer, by response status")
                    .tag("status", status)
                    .serviceLevelObjectives(POLL_BUCKETS)
                    .register(registry) // registered once per status; later calls find it
                    .record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
        }
        // counted last: a reader that sees the count also sees the latency recorded
        registry.counter("synrep.http.responses", "endpoint", endpoint, "status", status).increment();
    }

    void scrape(Context ctx) {
        ctx.contentType(CONTENT_TYPE).result(registry.scrape());
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}

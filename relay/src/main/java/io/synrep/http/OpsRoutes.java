package io.synrep.http;

import io.javalin.config.JavalinConfig;
import io.synrep.config.OpsConfig;
import io.synrep.log.StreamLog;
import java.util.function.IntSupplier;

/**
 * The operator's endpoints next to the replication endpoint: {@code /health/live}, {@code /health/ready},
 * {@code /status}, the status page at {@code /}, {@code /metrics} and {@code /openapi.json}. Installs them, and the
 * per-response metrics, into an app that {@link HttpApi} is building.
 */
final class OpsRoutes {
    static final String REPLICATION = io.synrep.protocol.Endpoint.PATH;

    private OpsRoutes() {}

    static void install(JavalinConfig c, StreamLog log, RelayStatus status, CaptureFigures figures, OpsConfig ops,
                        IntSupplier waiting) {
        Metrics metrics = new Metrics(log, status, figures, waiting);
        Health health = new Health(log, status, figures, ops.readyMaxLagBytes());
        StatusReport report = new StatusReport(log, status, figures, waiting, ops.readyMaxLagBytes());
        BundledDocument page = new BundledDocument("status.html", "text/html; charset=utf-8");
        BundledDocument openApi = new BundledDocument("openapi.json", "application/json");
        c.routes.get("/health/live", health::live);
        c.routes.get("/health/ready", health::ready);
        c.routes.get("/status", report::handle);
        c.routes.get("/", page::handle);
        c.routes.get("/metrics", metrics::scrape);
        c.routes.get("/openapi.json", openApi::handle);
        c.requestLogger.http(metrics::answered);
        c.events.serverStopped(metrics::close);
    }
}

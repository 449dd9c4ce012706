package io.synrep.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.synrep.log.StreamLog;

/**
 * The probes for orchestrators. {@code /health/live}: the process is up and serving HTTP (always 200 when it
 * answers at all). {@code /health/ready}: 200 when capture streams from the slot and its lag is at most the
 * configured bound, else 503 with the reasons. Neither touches the database. Thread-safe.
 */
final class Health {
    private final StreamLog log;
    private final RelayStatus status;
    private final CaptureFigures figures;
    private final long maxLag;

    Health(StreamLog log, RelayStatus status, CaptureFigures figures, long maxLag) {
        this.log = log;
        this.status = status;
        this.figures = figures;
        this.maxLag = maxLag;
    }

    void live(Context ctx) {
        ctx.contentType("application/json").result("{\"status\":\"live\"}");
    }

    void ready(Context ctx) {
        ObjectNode body = HttpApi.JSON.createObjectNode();
        ArrayNode reasons = HttpApi.JSON.createArrayNode();
        boolean streaming = status.streaming() && log.isStarted();
        if (!streaming) {
            reasons.add("capture is not streaming (" + status.describe() + ")");
        }
        long lag = figures.captureLag();
        if (lag < 0) {
            reasons.add("capture lag is unknown: the writer's WAL position has not been sampled");
        } else if (lag > maxLag) {
            reasons.add("capture lag " + lag + " bytes is over the ready bound of " + maxLag + " bytes");
        }
        boolean ready = reasons.isEmpty();
        body.put("status", ready ? "ready" : "not_ready");
        body.put("streaming", streaming);
        body.put("lag_bytes", lag);
        body.put("max_lag_bytes", maxLag);
        body.set("reasons", reasons);
        ctx.status(ready ? 200 : 503).contentType("application/json").result(body.toString());
    }
}

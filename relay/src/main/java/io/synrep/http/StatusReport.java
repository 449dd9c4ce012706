package io.synrep.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.synrep.log.StreamLog;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * {@code GET /status}: the relay's figures as one JSON object, for the status page and for scripts. Every figure
 * is read from counters that already exist (no database query); sizes are bytes, positions are commit LSNs as
 * integers, and -1 (or {@code null} for positions) means unknown. Thread-safe.
 */
final class StatusReport {
    private final StreamLog log;
    private final RelayStatus status;
    private final CaptureFigures figures;
    private final IntSupplier waiting;
    private final long readyMaxLag;

    StatusReport(StreamLog log, RelayStatus status, CaptureFigures figures, IntSupplier waiting, long readyMaxLag) {
        this.log = log;
        this.status = status;
        this.figures = figures;
        this.waiting = waiting;
        this.readyMaxLag = readyMaxLag;
    }

    void handle(Context ctx) {
        ctx.contentType("application/json").result(build().toString());
    }

    ObjectNode build() {
        ObjectNode body = HttpApi.JSON.createObjectNode();
        body.put("time_ms", System.currentTimeMillis());
        body.put("epoch", status.epoch());
        ObjectNode capture = body.putObject("capture");
        capture.put("streaming", status.streaming());
        capture.put("detail", status.describe());
        capture.put("lag_bytes", figures.captureLag());
        capture.put("ready_max_lag_bytes", readyMaxLag);
        capture.put("writer_position", figures.writerPosition());
        ObjectNode slot = body.putObject("slot");
        slot.put("wal_held_bytes", figures.walHeld());
        slot.put("wal_unconfirmed_bytes", figures.walUnconfirmed());
        body.put("waiting_requests", waiting.getAsInt());
        body.put("started", log.isStarted());
        StreamLog.Report report = log.report(); // totals and streams from one instant: they add up
        StreamLog.Stats s = report.totals();
        if (log.isStarted()) {
            body.put("position", s.head());
            body.put("horizon", s.horizon());
        } else {
            body.putNull("position");
            body.putNull("horizon");
        }
        body.put("retained_rows", s.retainedRows());
        body.put("retained_bytes", s.retainedBytes());
        body.put("captured_rows", s.appendedRows());
        body.put("captured_transactions", s.appendedTransactions());
        Map<String, String> states = status.streamStates();
        ObjectNode streams = body.putObject("streams");
        for (Map.Entry<String, StreamLog.StreamStats> e : report.streams().entrySet()) {
            StreamLog.StreamStats st = e.getValue();
            ObjectNode n = streams.putObject(e.getKey());
            if (log.isStarted()) {
                n.put("position", s.head()); // every stream stands at the head: where a caught-up reader resumes
            } else {
                n.putNull("position");
            }
            if (st.lastPosition() >= 0) {
                n.put("last_row_position", st.lastPosition());
            } else {
                n.putNull("last_row_position");
            }
            n.put("captured_rows", st.appendedRows());
            n.put("retained_rows", st.retainedRows());
            String state = states.get(e.getKey());
            if (state == null) {
                n.putNull("state");
            } else {
                n.put("state", state);
            }
        }
        return body;
    }
}

package io.synrep.http;

import io.javalin.http.Context;
import io.synrep.config.HttpConfig;
import io.synrep.log.Page;
import io.synrep.log.PositionTooOldException;
import io.synrep.log.StreamLog;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorCode;
import io.synrep.protocol.PollAnswer;
import io.synrep.protocol.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code GET /_synapse/replication}: answers at once when a requested stream has rows after its token,
 * otherwise parks the request (no thread held) until rows are appended or the timeout passes.
 *
 * <p>Thread-safe; one instance serves all requests.
 */
final class PollHandler {
    private final StreamLog log;
    private final HttpConfig config;
    private final RelayStatus status;
    private final ScheduledExecutorService timer;
    private final Executor responder;
    private final LongSupplier clock;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Map<String, byte[]> fieldNames;
    private final SharedResponses shared = new SharedResponses(SHARED_BUDGET_BYTES);
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong encodings = new AtomicLong();
    /** Heap held by encoded responses shared between readers; see {@link SharedResponses}. */
    static final long SHARED_BUDGET_BYTES = 8L << 20;

    PollHandler(StreamLog log, Map<String, List<String>> fieldsByStream, HttpConfig config, RelayStatus status,
                ScheduledExecutorService timer, Executor responder, LongSupplier clock) {
        this.log = log;
        this.config = config;
        this.status = status;
        this.timer = timer;
        this.responder = responder;
        this.clock = clock;
        Map<String, byte[]> names = new HashMap<>();
        fieldsByStream.forEach((stream, fields) -> names.put(stream, PollAnswer.fieldNames(fields)));
        this.fieldNames = Map.copyOf(names);
    }

    int waiting() {
        return waiting.get();
    }

    /** Successful poll responses sent so far. */
    long responses() {
        return responses.get();
    }

    /**
     * Response bodies assembled so far. Readers asking the same question share one body (see {@link
     * SharedResponses}), so this grows by one, not N, when N readers at one position are answered with a page.
     */
    long encodings() {
        return encodings.get();
    }

    void handle(Context ctx) {
        PollRequest req = PollRequest.parse(ctx.queryParamMap(), log.streams(), config);
        if (!log.isStarted()) {
            ctx.header(Endpoint.RETRY_AFTER_HEADER, "1");
            throw new ApiError(ErrorCode.M_NOT_READY, "the relay has not started capturing yet; retry shortly");
        }
        if (req.epoch() != null) {
            String current = status.epoch();
            if (!req.epoch().equals(current)) {
                throw new ApiError(ErrorCode.M_POSITION_TOO_OLD, "epoch '" + PollRequest.shorten(req.epoch())
                        + "' is not the current WAL history (" + current + "); drop caches and continue from earliest",
                        log.horizon());
            }
        }
        Map<String, Long> tokens = resolve(req);
        StreamLog.Snapshot snap = read(tokens, req.limit());
        if (snap.hasRows() || req.metaStream() || req.timeoutMillis() == 0) {
            respond(ctx, snap, req, tokens);
            return;
        }
        if (waiting.incrementAndGet() > config.maxWaiting()) {
            waiting.decrementAndGet();
            ctx.header(Endpoint.RETRY_AFTER_HEADER, "1");
            throw new ApiError(ErrorCode.M_LIMIT_EXCEEDED, "too many waiting requests (" + config.maxWaiting()
                    + "); retry later");
        }
        long deadline = clock.getAsLong() + req.timeoutMillis();
        // response: what Javalin waits on (it may cancel it, e.g. on its own timeout); result: what park delivers
        CompletableFuture<Void> response = new CompletableFuture<>();
        response.whenComplete((v, t) -> waiting.decrementAndGet());
        CompletableFuture<StreamLog.Snapshot> result = new CompletableFuture<>();
        result.whenComplete((s, t) -> {
            if (t != null) {
                response.completeExceptionally(t);
            } else if (response.isDone()) {
                release(s); // nobody will stream these pages: let go of their spill files
            } else {
                try {
                    respond(ctx, s, req, tokens);
                    response.complete(null);
                } catch (RuntimeException e) {
                    release(s);
                    response.completeExceptionally(e);
                }
            }
        });
        ctx.future(() -> response);
        park(tokens, req, deadline, result);
    }

    private static void release(StreamLog.Snapshot s) {
        s.pages().values().forEach(Page::release);
    }

    /** Completes {@code result} with {@code snap}, or releases it when the request was already answered. */
    private static void deliver(CompletableFuture<StreamLog.Snapshot> result, StreamLog.Snapshot snap) {
        if (!result.complete(snap)) {
            release(snap);
        }
    }

    /** Waits for rows on the requested streams, re-reading after each wake-up, until rows or the deadline. */
    private void park(Map<String, Long> tokens, PollRequest req, long deadline, CompletableFuture<StreamLog.Snapshot> result) {
        CompletableFuture<Void> wake = log.awaitRows(tokens.keySet());
        // re-read after registering: rows appended since the first read would otherwise be missed
        StreamLog.Snapshot snap;
        try {
            snap = log.read(tokens, req.limit());
        } catch (RuntimeException e) {
            log.cancel(wake);
            result.completeExceptionally(e);
            return;
        }
        if (snap.hasRows()) {
            log.cancel(wake);
            deliver(result, snap);
            return;
        }
        long remaining = deadline - clock.getAsLong();
        if (remaining <= 0) {
            log.cancel(wake);
            deliver(result, snap);
            return;
        }
        ScheduledFuture<?> timeout = timer.schedule(() -> { wake.complete(null); }, remaining, TimeUnit.MILLISECONDS);
        wake.whenCompleteAsync((v, t) -> {
            timeout.cancel(false);
            if (result.isDone()) {
                return;
            }
            if (clock.getAsLong() >= deadline) {
                try {
                    deliver(result, log.read(tokens, req.limit()));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            } else {
                park(tokens, req, deadline, result);
            }
        }, responder);
    }

    private Map<String, Long> resolve(PollRequest req) {
        Map<String, Long> tokens = new LinkedHashMap<>();
        long head = log.head();
        for (Map.Entry<String, Long> e : req.tokens().entrySet()) {
            long t = log.resolve(e.getValue());
            if (t > head) {
                OptionalLong writer = status.writerPosition(t);
                if (writer.isPresent() && t > writer.getAsLong()) {
                    throw new ApiError(ErrorCode.M_POSITION_AHEAD, "token " + t + " (" + Position.formatLsn(t)
                            + ") for stream " + e.getKey() + " is ahead of anything the writer has written ("
                            + writer.getAsLong() + ")");
                }
            }
            tokens.put(e.getKey(), t);
        }
        return tokens;
    }

    private StreamLog.Snapshot read(Map<String, Long> tokens, int limit) {
        try {
            return log.read(tokens, limit);
        } catch (PositionTooOldException e) {
            throw tooOld(e);
        }
    }

    static ApiError tooOld(PositionTooOldException e) {
        return new ApiError(ErrorCode.M_POSITION_TOO_OLD, e.getMessage() + "; drop caches and continue from earliest",
                e.earliest());
    }

    private void respond(Context ctx, StreamLog.Snapshot snap, PollRequest req, Map<String, Long> resolved) {
        ctx.header(Endpoint.EPOCH_HEADER, status.epoch()); // again: the epoch may have changed while it was parked
        Map<String, Page> pages = snap.pages();
        for (Map.Entry<String, Long> e : req.tokens().entrySet()) {
            long given = e.getValue();
            // a reader that sent -1 or now learns the concrete position it stands at, even with nothing new
            if ((given == Position.OLDEST || given == Position.NOW) && !pages.containsKey(e.getKey())) {
                if (pages == snap.pages()) {
                    pages = new LinkedHashMap<>(pages);
                }
                pages.put(e.getKey(), Page.empty(e.getKey(), resolved.get(e.getKey())));
            }
        }
        byte[] meta = null;
        if (req.metaStream()) {
            meta = PollAnswer.metaStream(snap.head(), log.streams());
        }
        responses.incrementAndGet();
        ctx.status(200).contentType("application/json");
        if (shareable(pages)) {
            Map<String, Page> finalPages = pages;
            byte[] finalMeta = meta;
            List<Object> tokens = new ArrayList<>(3 * resolved.size());
            for (Map.Entry<String, Long> e : req.tokens().entrySet()) { // in request order: the body's key order
                tokens.add(e.getKey());
                tokens.add(e.getValue());
                tokens.add(resolved.get(e.getKey()));
            }
            SharedResponses.Key key = new SharedResponses.Key(snap.generation(), snap.head(), req.limit(),
                    req.metaStream(), tokens);
            // heap-only pages keep no spill file alive, so there is nothing to release for readers that share
            ctx.result(shared.body(key, () -> encode(finalPages, finalMeta)));
            return;
        }
        encodings.incrementAndGet();
        ctx.result(new ResponseBody(pages, fieldNames, meta));
    }

    private byte[] encode(Map<String, Page> pages, byte[] meta) {
        encodings.incrementAndGet();
        try (ResponseBody body = new ResponseBody(pages, fieldNames, meta)) {
            return body.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Whether every row of {@code pages} is on the heap and the body is small enough to be held and shared. */
    private static boolean shareable(Map<String, Page> pages) {
        long estimate = 0;
        for (Page p : pages.values()) {
            for (int i = 0; i < p.count(); i++) {
                if (!p.isRow(i)) {
                    return false;
                }
                estimate += p.tailAt(i).length + 24;
            }
            if (estimate > SharedResponses.MAX_BODY_BYTES) {
                return false;
            }
        }
        return true;
    }
}

package io.synrep.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.synrep.client.ReplicationClient;
import io.synrep.client.synapse.SlavedStores;
import io.synrep.client.synapse.StoreException;
import io.synrep.client.synapse.StreamChangeCache;
import io.synrep.config.HttpConfig;
import io.synrep.http.Listener;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's read API: JSON over the slaved stores, for operators and for tests of a real deployment.
 *
 * <p>Every read answer carries {@code "position"}: the reader's position observed <em>before</em> the read began,
 * so the answer reflects every write the writer committed at or before it (the stores' promise). Reads answer 503
 * {@code M_UNAVAILABLE} until the reader has followed the relay once (had a poll answered since the worker started:
 * before that nothing would invalidate what a read caches), when the database cannot be read, and when the relay
 * does not serve a stream the read's store depends on. After the reader has followed the relay once, a relay that
 * becomes unreachable does not stop reads: their {@code position} stays where the reader stopped, and the promise
 * above still holds for it; {@code /health} says the worker is not following. Errors are
 * {@code {"errcode", "error"}}, never a stack trace. Field names are snake_case. Thread-safe: Javalin's threads call
 * the stores concurrently.
 */
final class WorkerApi {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerApi.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 1000;

    /** A request answered with an error body instead of data. */
    static final class Problem extends RuntimeException {
        final int status;
        final String errcode;
        final Long position;

        Problem(int status, String errcode, String message, Long position) {
            super(message, null, false, false);
            this.status = status;
            this.errcode = errcode;
            this.position = position;
        }
    }

    private final ReplicationClient client;
    private final SlavedStores stores;

    private WorkerApi(ReplicationClient client, SlavedStores stores) {
        this.client = client;
        this.stores = stores;
    }

    /**
     * An unstarted app on the listener {@code config} describes (port 0: any free port): with a secret, every path
     * but {@code /health} needs it; TLS when configured.
     */
    static Javalin create(ReplicationClient client, SlavedStores stores, HttpConfig config) {
        WorkerApi api = new WorkerApi(client, stores);
        Listener.exposureWarning(config, "the worker's read API").ifPresent(LOG::warn);
        return Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            Listener.configure(c, config, Set.of("/health"));
            ReadRoutes.register(c.routes, api);
            c.routes.get("/health", api::health);
            c.routes.get("/position", api::position);
            byte[] openApi = openApiDocument();
            c.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
            c.routes.get("/caches", ctx -> api.send(ctx, 200, JSON.createObjectNode()
                    .put("unknown_invalidations", stores.caches().unknownInvalidations())
                    .set("caches", JSON.valueToTree(stores.caches().stats()))));
            c.routes.exception(Problem.class, (e, ctx) -> api.error(ctx, e));
            c.routes.exception(StoreException.class, (e, ctx) ->
                    api.error(ctx, new Problem(503, "M_UNAVAILABLE", e.getMessage(), null)));
            c.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("unexpected error serving {} {}", ctx.method(), ctx.path(), e);
                api.error(ctx, new Problem(500, "M_UNKNOWN", "internal error: " + e.getClass().getSimpleName(), null));
            });
            c.routes.error(404, "*", ctx -> {
                if (!isJson(ctx)) {
                    api.error(ctx, new Problem(404, "M_UNRECOGNIZED", "no such endpoint: " + ctx.method() + " "
                            + ctx.path() + " (see synrep worker --help)", null));
                }
            });
            c.routes.error(405, "*", ctx -> {
                if (!isJson(ctx)) {
                    api.error(ctx, new Problem(405, "M_UNRECOGNIZED", "method not allowed: " + ctx.method(), null));
                }
            });
        });
    }

    /** The OpenAPI document of this API, shipped next to this class. */
    private static byte[] openApiDocument() {
        try (java.io.InputStream in = WorkerApi.class.getResourceAsStream("worker-openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("worker-openapi.json missing from the jar");
            }
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads the position, then {@code read}, and answers {@code {"position": P, field: value}}. */
    void read(Context ctx, String field, Supplier<Object> read) {
        long position = position();
        answer(ctx, field, read.get(), position);
    }

    /** Answers {@code {"position": P, field: value}} for a value read after observing {@code position}. */
    void answer(Context ctx, String field, Object value, long position) {
        ObjectNode body = JSON.createObjectNode().put("position", position);
        body.set(field, JSON.valueToTree(value));
        send(ctx, 200, body);
    }

    /** As {@link #read}, for a "changed since P?" question to one change cache. */
    void changedSince(Context ctx, StreamChangeCache cache, String entity) {
        long since = longParam(ctx.pathParam("since"), "since");
        long position = position();
        boolean changed = cache.hasEntityChanged(entity, since);
        long earliest = cache.earliest();
        ObjectNode body = JSON.createObjectNode().put("position", position).put("changed", changed);
        // Long.MAX_VALUE: nothing known yet (no row since start or resync)
        if (earliest == Long.MAX_VALUE) {
            body.putNull("known_since");
        } else {
            body.put("known_since", earliest);
        }
        send(ctx, 200, body);
    }

    /**
     * The reader's position, for a read about to begin; a 503 {@code M_UNAVAILABLE} until the reader has followed the
     * relay once.
     */
    long position() {
        if (client.polls() == 0) {
            String error = client.lastError();
            throw new Problem(503, "M_UNAVAILABLE", "the worker has not followed the relay yet"
                    + (error == null ? " (waiting for its first answer)" : ": " + error), null);
        }
        return client.position();
    }

    SlavedStores stores() {
        return stores;
    }

    /**
     * 200 {@code reading} when the reader follows the relay and the relay serves every stream it follows; else 503:
     * {@code starting} (no poll answered yet), {@code not_following} (its requests fail now), {@code degraded}
     * (following, but some reads answer 503 because the relay does not serve their streams); {@code reasons} says
     * why in words.
     */
    private void health(Context ctx) {
        long position = client.position();
        String error = client.lastError();
        Set<String> missing = client.missingStreams();
        ArrayNode reasons = JSON.createArrayNode();
        String status;
        if (client.polls() == 0) {
            status = "starting";
            reasons.add(client.catalog() == null ? "the relay's catalog is not fetched yet" + (error == null ? ""
                    : ": " + error) : "no poll answered yet" + (error == null ? "" : ": " + error));
        } else if (!client.following()) {
            status = "not_following";
            reasons.add("not following the relay: " + (error == null ? "its last request failed" : error)
                    + "; reads answer at position " + position);
        } else {
            status = missing.isEmpty() ? "reading" : "degraded";
        }
        for (String stream : missing) {
            reasons.add("the relay does not serve stream " + stream + ": reads that depend on it answer 503");
        }
        ObjectNode body = JSON.createObjectNode()
                .put("status", status)
                .put("position", position)
                .put("last_error", error)
                .put("catalog", client.catalog())
                .put("schema", stores.schema());
        ArrayNode names = body.putArray("missing_streams");
        missing.forEach(names::add);
        body.set("reasons", reasons);
        send(ctx, status.equals("reading") ? 200 : 503, body);
    }

    private void position(Context ctx) {
        ObjectNode body = JSON.createObjectNode()
                .put("position", client.position())
                .put("epoch", client.epoch())
                .put("resyncs", client.resyncs())
                .put("rows", client.rowsHandled())
                .put("errors", client.errors())
                .put("last_error", client.lastError());
        send(ctx, 200, body);
    }

    static int limit(Context ctx) {
        String v = ctx.queryParam("limit");
        if (v == null) {
            return DEFAULT_LIMIT;
        }
        long n = longParam(v, "limit");
        if (n < 1 || n > MAX_LIMIT) {
            throw invalid("limit must be between 1 and " + MAX_LIMIT + ", was " + n);
        }
        return (int) n;
    }

    static long longParam(String v, String name) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw invalid(name + " must be an integer, was '" + v + "'");
        }
    }

    static Problem invalid(String message) {
        return new Problem(400, "M_INVALID_PARAM", message, null);
    }

    private void error(Context ctx, Problem p) {
        ObjectNode body = JSON.createObjectNode().put("errcode", p.errcode).put("error", p.getMessage());
        if (p.position != null) {
            body.put("position", p.position);
        }
        send(ctx, p.status, body);
    }

    private void send(Context ctx, int status, ObjectNode body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a response", e);
        }
    }

    private static boolean isJson(Context ctx) {
        String ct = ctx.res().getContentType();
        return ct != null && ct.startsWith("application/json");
    }
}

package io.synrep.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.log.PositionTooOldException;
import io.synrep.log.StreamLog;
import io.synrep.protocol.CatalogAnswer;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorCode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's HTTP surface: the long-poll replication endpoint and its catalog (which streams it serves), the
 * health probes, and the operator's endpoints
 * ({@link OpsRoutes}: readiness, status page, metrics, OpenAPI document), behind the {@link Listener}'s checks
 * (bearer secret for everything but {@link #OPEN_PATHS}, query length, optional TLS).
 *
 * <p>{@link #create} returns an unstarted Javalin app, so tests can start it on port 0 against a real log
 * without capture.
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    static final ObjectMapper JSON = new ObjectMapper();
    /** {@link Endpoint#EPOCH_HEADER}, on every answer. */
    public static final String EPOCH_HEADER = Endpoint.EPOCH_HEADER;
    /**
     * Paths served without the auth secret: the health probes (they say no more than whether the relay streams and
     * its position) and the status page's HTML shell, which holds no data; the page asks for the secret when
     * {@code /status} answers 401.
     */
    public static final Set<String> OPEN_PATHS = Set.of("/health", "/health/live", "/health/ready", "/");
    /** The catalog name {@link #create} reports when the caller does not know it (an operator's catalog). */
    public static final String CUSTOM_CATALOG = "custom";

    private HttpApi() {}

    /**
     * Builds the app for a catalog of unknown name ({@value #CUSTOM_CATALOG}).
     *
     * @param fieldsByStream each stream's field names after {@code position}, in catalog order
     */
    public static Javalin create(StreamLog log, Map<String, List<String>> fieldsByStream, HttpConfig config,
                                 RelayStatus status) {
        return create(log, CUSTOM_CATALOG, fieldsByStream, config, status, CaptureFigures.UNKNOWN,
                OpsConfig.defaults(), poll -> {});
    }

    /**
     * Builds the app with the relay's capture figures (lag, WAL held) for status, readiness and metrics.
     *
     * @param catalogName    the catalog's name as {@code GET /_synapse/replication/catalog} reports it: a built-in
     *                       catalog's name, else the operator's file name or {@value #CUSTOM_CATALOG}
     * @param fieldsByStream each stream's field names after {@code position}, in catalog order (the order the
     *                       catalog endpoint lists them in)
     */
    public static Javalin create(StreamLog log, String catalogName, Map<String, List<String>> fieldsByStream,
                                 HttpConfig config, RelayStatus status, CaptureFigures figures, OpsConfig ops) {
        return create(log, catalogName, fieldsByStream, config, status, figures, ops, poll -> {});
    }

    /**
     * As {@link #create(StreamLog, Map, HttpConfig, RelayStatus)}, also handing over the poll handler, so that tests
     * in this package can see how many requests are parked.
     */
    static Javalin create(StreamLog log, Map<String, List<String>> fieldsByStream, HttpConfig config,
                          RelayStatus status, Consumer<PollHandler> pollHandler) {
        return create(log, CUSTOM_CATALOG, fieldsByStream, config, status, CaptureFigures.UNKNOWN,
                OpsConfig.defaults(), pollHandler);
    }

    static Javalin create(StreamLog log, Map<String, List<String>> fieldsByStream, HttpConfig config,
                          RelayStatus status, CaptureFigures figures, OpsConfig ops,
                          Consumer<PollHandler> pollHandler) {
        return create(log, CUSTOM_CATALOG, fieldsByStream, config, status, figures, ops, pollHandler);
    }

    static Javalin create(StreamLog log, String catalogName, Map<String, List<String>> fieldsByStream,
                          HttpConfig config, RelayStatus status, CaptureFigures figures, OpsConfig ops,
                          Consumer<PollHandler> pollHandler) {
        byte[] catalog = catalogBody(catalogName, fieldsByStream);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("synrep-poll-timer"));
        timer.setRemoveOnCancelPolicy(true);
        ExecutorService responder = Executors.newFixedThreadPool(2, daemon("synrep-poll-wake"));
        Listener.exposureWarning(config, "the relay").ifPresent(LOG::warn);
        PollHandler poll = new PollHandler(log, fieldsByStream, config, status, timer, responder,
                System::currentTimeMillis);
        pollHandler.accept(poll);
        Javalin app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            Listener.configure(c, config, OPEN_PATHS);
            c.http.asyncTimeout = config.maxTimeout() + 30_000;
            c.routes.before(ctx -> ctx.header(EPOCH_HEADER, status.epoch()));
            c.routes.get(Endpoint.PATH, poll::handle);
            c.routes.get(Endpoint.CATALOG_PATH, ctx -> ctx.contentType("application/json").result(catalog));
            c.routes.get("/health", ctx -> health(ctx, status, log, poll));
            OpsRoutes.install(c, log, status, figures, ops, poll::waiting);
            c.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            c.routes.exception(PositionTooOldException.class, (e, ctx) -> {
                ctx.header(EPOCH_HEADER, status.epoch()); // a parked request may be answered after an epoch change
                error(ctx, PollHandler.tooOld(e));
            });
            c.routes.exception(CompletionException.class, (e, ctx) -> {
                // a parked request answered after the epoch changed must carry the epoch of its answer
                ctx.header(EPOCH_HEADER, status.epoch());
                Throwable cause = e.getCause();
                if (cause instanceof ApiError a) {
                    error(ctx, a);
                } else if (cause instanceof PositionTooOldException p) {
                    error(ctx, PollHandler.tooOld(p));
                } else {
                    unexpected(ctx, cause == null ? e : cause);
                }
            });
            c.routes.exception(Exception.class, (e, ctx) -> unexpected(ctx, e));
            c.routes.error(404, "*", ctx -> {
                if (!isJson(ctx)) {
                    error(ctx, new ApiError(404, ErrorCode.M_UNRECOGNIZED, "no such endpoint: " + ctx.method() + " " + ctx.path()));
                }
            });
            c.routes.error(405, "*", ctx -> {
                if (!isJson(ctx)) {
                    error(ctx, new ApiError(405, ErrorCode.M_UNRECOGNIZED, "method not allowed: " + ctx.method() + " " + ctx.path()));
                }
            });
            c.events.serverStopped(() -> {
                timer.shutdownNow();
                responder.shutdownNow();
            });
        });
        return app;
    }

    /**
     * The {@link CatalogAnswer} a reader asks for before polling, so that it names only streams the relay serves.
     * Fixed for the relay's life (the catalog is read once at start), hence encoded once.
     */
    private static byte[] catalogBody(String catalogName, Map<String, List<String>> fieldsByStream) {
        return CatalogAnswer.encode(catalogName == null || catalogName.isBlank() ? CUSTOM_CATALOG : catalogName,
                fieldsByStream);
    }

    private static boolean isJson(Context ctx) {
        String ct = ctx.res().getContentType();
        return ct != null && ct.startsWith("application/json");
    }

    private static void health(Context ctx, RelayStatus status, StreamLog log, PollHandler poll) {
        ObjectNode body = JSON.createObjectNode();
        boolean up = status.streaming() && log.isStarted();
        body.put("status", up ? "streaming" : "starting");
        body.put("detail", status.describe());
        if (log.isStarted()) {
            body.put("position", log.head());
            body.put("earliest", log.horizon());
        }
        // load figures: parked long-polls, responses sent, and response bodies assembled (shared ones count once)
        body.put("waiting", poll.waiting());
        body.put("responses", poll.responses());
        body.put("encodings", poll.encodings());
        Map<String, String> states = status.streamStates();
        if (!states.isEmpty()) {
            // a stream in error does not fail the probe: the relay still serves every other stream
            ObjectNode streams = body.putObject("streams");
            states.forEach(streams::put);
        }
        ctx.status(up ? 200 : 503).contentType("application/json").result(body.toString());
    }

    static void error(Context ctx, ApiError e) {
        ctx.status(e.status).contentType("application/json").result(e.json());
    }

    private static void unexpected(Context ctx, Throwable e) {
        LOG.error("unexpected error serving {} {}", ctx.method(), ctx.path(), e);
        error(ctx, new ApiError(ErrorCode.M_UNKNOWN, "internal error: " + e.getClass().getSimpleName()));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}

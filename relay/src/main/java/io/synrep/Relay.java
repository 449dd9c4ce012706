package io.synrep;

import io.javalin.Javalin;
import io.synrep.capture.Capture;
import io.synrep.capture.CaptureProgress;
import io.synrep.capture.CatalogChoice;
import io.synrep.capture.Epoch;
import io.synrep.capture.LeftoverSpills;
import io.synrep.capture.Nudge;
import io.synrep.capture.RelayState;
import io.synrep.capture.ReplicaIdentityCheck;
import io.synrep.capture.SchemaWatch;
import io.synrep.capture.SlotSetup;
import io.synrep.capture.StateKeeper;
import io.synrep.capture.StateStore;
import io.synrep.capture.StreamStates;
import io.synrep.capture.WalGuard;
import io.synrep.capture.WriterProbe;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.Listener;
import io.synrep.log.StreamLog;
import io.synrep.log.TransactionSink;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import java.io.IOException;
import java.nio.file.Files;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of a running relay: it assembles the named parts, starts them in this order and stops them in
 * reverse (HTTP first, so that no reader sees a half-stopped relay, then capture, then the writer probe and the
 * saved state).
 *
 * <pre>
 *   StateStore ─▶ SlotSetup.prepare (epoch, start point) ─▶ StreamLog (horizon, head)
 *   Capture ──▶ sink(): TransactionSink ─────▶ StreamLog ◀── servedLog(): HttpApi reads, parks readers
 *      ▲ Epoch (re-checks the slot before a reconnect)        ▲
 *   Ticker: retention age, WalGuard (+ Nudge), CaptureProgress, SchemaWatch; CaptureStatus feeds HttpApi
 * </pre>
 *
 * <p>Two seams, for the sources and sinks to come: where captured transactions go ({@link #sink}) and where served
 * rows come from ({@link #servedLog}). Accessors are thread-safe; {@link #close()} once.
 */
public final class Relay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    private final StreamLog log;
    private final Javalin http;
    private final Capture capture;
    private final Epoch epoch;
    private final WriterProbe writer;
    private final StateKeeper keeper;
    private final WalGuard guard;
    private final CaptureProgress progress;
    private final StreamStates streamStates;
    private final Ticker ticker;

    private Relay(StreamLog log, Javalin http, Capture capture, Epoch epoch, WriterProbe writer, StateKeeper keeper,
                  WalGuard guard, CaptureProgress progress, StreamStates streamStates, Ticker ticker) {
        this.log = log;
        this.http = http;
        this.capture = capture;
        this.epoch = epoch;
        this.writer = writer;
        this.keeper = keeper;
        this.guard = guard;
        this.progress = progress;
        this.streamStates = streamStates;
        this.ticker = ticker;
    }

    /** A relay whose state lives in a fresh temporary directory (tests and one-off runs). */
    public static Relay start(CaptureConfig captureConfig, HttpConfig httpConfig, RetentionConfig retention,
                              Catalog catalog) {
        try {
            return start(captureConfig, httpConfig, retention, catalog,
                    StateConfig.inDirectory(Files.createTempDirectory("synrep-state")));
        } catch (IOException e) {
            throw new StartupException("cannot create a temporary state directory: " + e.getMessage());
        }
    }

    public static Relay start(CaptureConfig captureConfig, HttpConfig httpConfig, RetentionConfig retention,
                              Catalog catalog, StateConfig stateConfig) {
        return start(captureConfig, httpConfig, retention, catalog, stateConfig, OpsConfig.defaults());
    }

    public static Relay start(CaptureConfig captureConfig, HttpConfig httpConfig, RetentionConfig retention,
                              Catalog catalog, StateConfig stateConfig, OpsConfig opsConfig) {
        return start(captureConfig, httpConfig, retention, () -> CatalogChoice.given(catalog), stateConfig, opsConfig);
    }

    /**
     * @param choices asked for the catalog once the configuration is logged and the listener checked (choosing it
     *                may read the writer's database); its name is what readers are told
     *                ({@code GET /_synapse/replication/catalog})
     */
    public static Relay start(CaptureConfig captureConfig, HttpConfig httpConfig, RetentionConfig retention,
                              Supplier<CatalogChoice> choices, StateConfig stateConfig, OpsConfig opsConfig) {
        long startedAt = System.nanoTime();
        LOG.info("effective configuration: {}; {}; {}; {}; {}", captureConfig, httpConfig, retention, stateConfig,
                opsConfig);
        try { // before touching the database (a second relay on 9099)
            Listener.checkBindable(httpConfig);
        } catch (IOException e) {
            throw new StartupException("cannot listen on " + httpConfig.host() + ":" + httpConfig.port() + ": "
                    + e.getMessage() + " (is another relay or program using the port? choose another with --listen)");
        }
        CatalogChoice choice = choices.get();
        Catalog catalog = choice.catalog();
        LOG.info("streams {}", catalog.streamNames());
        StateStore store = StateStore.open(stateConfig, captureConfig);
        RelayState saved;
        try {
            saved = store.load().orElse(null);
        } catch (StateStore.StateStoreException e) {
            throw new StartupException(e.getMessage());
        }
        SlotSetup.Prepared prepared = SlotSetup.prepare(captureConfig, catalog, saved, stateConfig.startLsn(), true);
        Epoch.report(prepared);
        ReplicaIdentityCheck.warn(captureConfig, prepared.publications());
        LeftoverSpills.deleteAtStart(captureConfig.spillDir());
        StreamLog log = servedLog(catalog, retention, prepared);
        StateKeeper keeper = new StateKeeper(store, prepared.state(), log::horizon);
        try {
            keeper.replace(prepared.state());
        } catch (StateStore.StateStoreException e) {
            keeper.close();
            throw new StartupException(e.getMessage());
        }
        LOG.info("state in {}; serving tokens from {} ({}); epoch {}", store.describe(),
                Position.formatLsn(prepared.horizon()), prepared.horizon(), prepared.epoch());
        WriterProbe writer = new WriterProbe(captureConfig);
        long writerAtStart = writer.get().orElse(-1);
        // "now" skips what was committed before the restart even while the relay still replays it
        log.skipHistoryThrough(writerAtStart);
        Epoch epoch = new Epoch(captureConfig, catalog, keeper, log, prepared.epoch());
        Capture capture = new Capture(captureConfig, prepared.publications().streamed(), catalog, sink(log), keeper,
                epoch, Math.max(64 * 1024, stateConfig.maxWalHeld() / 16));
        WalGuard guard = new WalGuard(captureConfig.slot(), stateConfig.maxWalHeld(), log, writer,
                new Nudge(capture, log, writer));
        StreamStates streamStates = new StreamStates(catalog, captureConfig.publication());
        CaptureStatus status = new CaptureStatus(capture, epoch, writer, streamStates, guard);
        Javalin app;
        try {
            app = HttpApi.create(log, choice.name(), catalog.fieldsByStream(), httpConfig, status, status, opsConfig);
        } catch (IllegalArgumentException e) { // unusable TLS files
            closeAll(capture, writer, keeper);
            throw new StartupException(e.getMessage());
        }
        capture.start();
        try {
            app.start();
        } catch (RuntimeException e) {
            closeAll(capture, writer, keeper);
            throw new StartupException("cannot listen on " + httpConfig.host() + ":" + httpConfig.port()
                    + ": " + rootMessage(e) + " (is the port in use? choose another with --listen)");
        }
        CaptureProgress progress = new CaptureProgress(capture, log, writer, guard, startedAt, writerAtStart);
        Ticker ticker = new Ticker(log, guard, progress,
                new SchemaWatch(catalog, prepared.publications().names(), writer, streamStates));
        LOG.info("serving GET http://{}:{}{}", httpConfig.host(), app.port(), Endpoint.PATH);
        return new Relay(log, app, capture, epoch, writer, keeper, guard, progress, streamStates, ticker);
    }

    /**
     * Seam: where served rows come from. The HTTP layer reads rows after a token from this log and parks waiting
     * readers on it; today the in-memory {@link StreamLog}, bounded by {@code retention}, starting at the saved
     * horizon. A durable log would be created here, and read by {@link HttpApi} in its place.
     */
    private static StreamLog servedLog(Catalog catalog, RetentionConfig retention, SlotSetup.Prepared prepared) {
        StreamLog log = new StreamLog(catalog.streamNames(), retention, InstantSource.system());
        log.start(prepared.horizon(), prepared.head());
        return log;
    }

    /**
     * Seam: where captured transactions go. Capture hands each committed transaction to this sink and confirms to
     * the slot only up to {@link TransactionSink#confirmable()}. Today the served log itself; a durable log or a Kafka
     * topic plugs in here as another {@link TransactionSink}.
     */
    private static TransactionSink sink(StreamLog served) {
        return served;
    }

    /** Each stream's state as of the last schema check (every {@value SchemaWatch#CHECK_MILLIS} ms), in catalog order. */
    public Map<String, String> streamStates() {
        return streamStates.current();
    }

    /** The WAL the slot held at the last check (every second); the cap applies to {@code confirmed()}. */
    public SlotSetup.WalHeld walHeld() {
        return guard.walHeld();
    }

    /** Milliseconds from start until the relay had read the WAL the writer had written at start, or -1. */
    public long caughtUpMillis() {
        return progress.caughtUpMillis();
    }

    public int port() {
        return http.port();
    }

    public StreamLog log() {
        return log;
    }

    public Capture capture() {
        return capture;
    }

    public String epoch() {
        return epoch.current();
    }

    @Override
    public void close() {
        ticker.close();
        http.stop();
        closeAll(capture, writer, keeper);
    }

    private static void closeAll(Capture capture, WriterProbe writer, StateKeeper keeper) {
        capture.close();
        writer.close();
        keeper.close();
    }

    /** The relay cannot start; the message says why and what to change. */
    public static final class StartupException extends RuntimeException {
        public StartupException(String message) {
            super(message);
        }
    }

    /** The message of {@code t}'s innermost cause, or its class when it has none. */
    public static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}

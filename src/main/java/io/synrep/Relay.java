package io.synrep;

import io.javalin.Javalin;
import io.synrep.capture.Capture;
import io.synrep.capture.CatalogChoice;
import io.synrep.capture.FileStateStore;
import io.synrep.capture.LeftoverSpills;
import io.synrep.capture.RelayState;
import io.synrep.capture.ReplicaIdentityCheck;
import io.synrep.capture.SchemaGaps;
import io.synrep.capture.SlotSetup;
import io.synrep.capture.StateKeeper;
import io.synrep.capture.StateStore;
import io.synrep.capture.StreamStates;
import io.synrep.capture.TableStateStore;
import io.synrep.capture.WriterConnection;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.http.CaptureFigures;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.log.StreamLog;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import io.synrep.streams.StreamRule;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running relay: saved state, slot checks, log, capture and HTTP, started in that order and stopped in reverse
 * (HTTP first so no reader sees a half-stopped relay, then capture). A ticker applies the retention age, the WAL
 * guard and logs progress.
 */
public final class Relay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    private final StreamLog log;
    private final Javalin http;
    private final ScheduledExecutorService ticker;
    private final WriterPosition writer;
    private final StateKeeper keeper;
    private final CaptureConfig captureConfig;
    private final StateConfig stateConfig;
    private final long startedAtNanos;
    private final long writerAtStart;
    private Capture capture;
    /** The publications capture streams from ({@link io.synrep.capture.Publications#names()}). */
    private volatile List<String> publications;
    private volatile String epoch;
    private volatile SlotSetup.WalHeld walHeld = new SlotSetup.WalHeld(-1, -1);
    private volatile long caughtUpMillis = -1;
    /** The writer's WAL position and the capture lag behind it at the last WAL check; -1 when unknown. */
    private volatile long writerSampled = -1;
    private volatile long lagSampled = -1;
    private final Catalog catalog;
    private final StreamStates streamStates;
    /** How often the writer's schema is compared with the catalog while streaming. */
    static final long SCHEMA_CHECK_MILLIS = 2000;
    private long walWarnedAt;
    private long lastHeadSeen = -1;
    /** WAL after a head that stood still which is worth a nudge (see {@link #nudge}). */
    static final long NUDGE_BYTES = 16 * 1024;

    private Relay(StreamLog log, Javalin http, String epoch, ScheduledExecutorService ticker, WriterPosition writer,
                  StateKeeper keeper, CaptureConfig captureConfig, StateConfig stateConfig, long startedAtNanos,
                  long writerAtStart, Catalog catalog) {
        this.catalog = catalog;
        this.streamStates = new StreamStates(catalog, captureConfig.publication());
        this.log = log;
        this.http = http;
        this.epoch = epoch;
        this.ticker = ticker;
        this.writer = writer;
        this.keeper = keeper;
        this.captureConfig = captureConfig;
        this.stateConfig = stateConfig;
        this.startedAtNanos = startedAtNanos;
        this.writerAtStart = writerAtStart;
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
        return start(captureConfig, httpConfig, retention,
                () -> new CatalogChoice(catalog, catalogName(catalog), "given"), stateConfig, opsConfig);
    }

    /**
     * @param choices asked for the catalog once the configuration is logged and the listener checked (choosing it
     *                may read the writer's database); its name is what readers are told
     *                ({@code GET /_synapse/replication/catalog})
     */
    public static Relay start(CaptureConfig captureConfig, HttpConfig httpConfig, RetentionConfig retention,
                              java.util.function.Supplier<CatalogChoice> choices, StateConfig stateConfig,
                              OpsConfig opsConfig) {
        long startedAt = System.nanoTime();
        LOG.info("effective configuration: {}; {}; {}; {}; {}", captureConfig, httpConfig, retention, stateConfig,
                opsConfig);
        checkListenable(httpConfig);
        CatalogChoice choice = choices.get();
        Catalog catalog = choice.catalog();
        String catalogName = choice.name();
        LOG.info("streams {}", catalog.streamNames());
        StateStore store = stateConfig.store() == StateConfig.Store.FILE
                ? new FileStateStore(stateConfig.dataDir()) : new TableStateStore(captureConfig);
        RelayState saved;
        try {
            saved = store.load().orElse(null);
        } catch (StateStore.StateStoreException e) {
            throw new StartupException(e.getMessage());
        }
        SlotSetup.Prepared prepared = SlotSetup.prepare(captureConfig, catalog, saved, stateConfig.startLsn(), true);
        report(prepared);
        // TOASTed values and deleted rows only matter where updates or deletes are streamed
        ReplicaIdentityCheck.warn(captureConfig, prepared.publications().published().entrySet().stream()
                .filter(e -> e.getValue().contains(StreamRule.Operation.UPDATE)
                        || e.getValue().contains(StreamRule.Operation.DELETE))
                .map(Map.Entry::getKey).toList());
        LeftoverSpills.deleteAtStart(captureConfig.spillDir());
        StreamLog log = new StreamLog(catalog.streamNames(), retention, InstantSource.system());
        log.start(prepared.horizon(), prepared.head());
        StateKeeper keeper = new StateKeeper(store, prepared.state(), log::horizon);
        try {
            keeper.replace(prepared.state());
        } catch (StateStore.StateStoreException e) {
            keeper.close();
            throw new StartupException(e.getMessage());
        }
        LOG.info("state in {}; serving tokens from {} ({}); epoch {}", store.describe(),
                Position.formatLsn(prepared.horizon()), prepared.horizon(), prepared.epoch());
        WriterPosition writer = new WriterPosition(captureConfig);
        long writerAtStart = writer.get().orElse(-1);
        // "now" skips what was committed before the restart even while the relay still replays it
        log.skipHistoryThrough(writerAtStart);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "synrep-ticker");
            t.setDaemon(true);
            return t;
        });
        Relay[] self = new Relay[1];
        RelayStatus status = new RelayStatus() {
            @Override
            public boolean streaming() {
                return self[0].capture.state() == Capture.State.STREAMING;
            }

            @Override
            public String epoch() {
                return self[0].epoch;
            }

            @Override
            public OptionalLong writerPosition(long atLeast) {
                return writer.atLeast(atLeast);
            }

            @Override
            public Map<String, String> streamStates() {
                return self[0].streamStates.current();
            }

            @Override
            public String describe() {
                Capture c = self[0].capture;
                String f = c.failure();
                long unavailable = c.unavailableValues();
                return "capture " + c.state().name().toLowerCase() + (f == null ? "" : ": " + f)
                        + (unavailable == 0 ? "" : "; " + unavailable + " unchanged TOASTed values streamed as null"
                        + " (replica identity not FULL)");
            }
        };
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (String name : catalog.streamNames()) { // catalog order, which the catalog endpoint keeps
            fields.put(name, catalog.rule(name).fields());
        }
        Javalin app;
        try {
            app = HttpApi.create(log, catalogName, fields, httpConfig, status, figures(self), opsConfig);
        } catch (IllegalArgumentException e) { // unusable TLS files
            keeper.close();
            throw new StartupException(e.getMessage());
        }
        Relay relay = new Relay(log, app, prepared.epoch(), ticker, writer, keeper, captureConfig, stateConfig,
                startedAt, writerAtStart, catalog);
        self[0] = relay;
        relay.publications = prepared.publications().names();
        relay.capture = new Capture(captureConfig, prepared.publications().streamed(), catalog, log, keeper,
                () -> relay.reconnect(catalog),
                Math.max(64 * 1024, stateConfig.maxWalHeld() / 16));
        relay.capture.start();
        try {
            app.start();
        } catch (RuntimeException e) {
            relay.capture.close();
            keeper.close();
            throw new StartupException("cannot listen on " + httpConfig.host() + ":" + httpConfig.port()
                    + ": " + rootMessage(e) + " (is the port in use? choose another with --listen)");
        }
        ticker.scheduleAtFixedRate(log::expire, 1, 1, TimeUnit.SECONDS);
        ticker.scheduleAtFixedRate(relay::guardWal, 1, 1, TimeUnit.SECONDS);
        ticker.scheduleAtFixedRate(relay::checkCaughtUp, 50, 50, TimeUnit.MILLISECONDS);
        ticker.scheduleAtFixedRate(relay::progress, 10, 10, TimeUnit.SECONDS);
        ticker.scheduleAtFixedRate(relay::checkSchema, SCHEMA_CHECK_MILLIS, SCHEMA_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        LOG.info("serving GET http://{}:{}{}", httpConfig.host(), app.port(), Endpoint.PATH);
        return relay;
    }

    /**
     * The name readers are told for {@code catalog}: a built-in catalog's name when it is that catalog (or has its
     * rules), else {@link HttpApi#CUSTOM_CATALOG}.
     */
    static String catalogName(Catalog catalog) {
        for (String name : Catalog.BUILTIN_NAMES) {
            Catalog builtin = Catalog.builtin(name);
            if (catalog == builtin || catalog.rules().equals(builtin.rules())) {
                return name;
            }
        }
        return HttpApi.CUSTOM_CATALOG;
    }

    private static void report(SlotSetup.Prepared p) {
        for (String note : p.notes()) {
            if (p.newEpoch()) {
                LOG.warn("{}", note);
            } else {
                LOG.info("{}", note);
            }
        }
        if (p.newEpoch()) {
            LOG.warn("NEW EPOCH {}: readers holding tokens of the previous WAL history get 410 and must resync", p.epoch());
        }
    }

    /** Before capture reconnects: re-checks the slot; a dropped or foreign-advanced slot starts a new epoch. */
    private void reconnect(Catalog catalog) {
        SlotSetup.Prepared p = SlotSetup.prepare(captureConfig, catalog, keeper.current(), null, false);
        if (p.newEpoch() || !p.epoch().equals(epoch)) {
            report(p);
            keeper.replace(p.state());
            epoch = p.epoch(); // before the reset wakes parked readers, so their 410 names the new epoch
            log.reset(p.head());
        }
    }

    /**
     * Past the cap on WAL held by the slot (beyond its confirmed position), drops the retained rows in the oldest
     * half of the cap, so that the slot can advance and settle well under the cap rather than at its edge.
     */
    private void guardWal() {
        try {
            SlotSetup.WalHeld h = writer.walHeld(captureConfig.slot());
            walHeld = h;
            OptionalLong w = writer.get();
            if (w.isEmpty()) {
                writerSampled = -1;
                lagSampled = -1;
                return;
            }
            writerSampled = w.getAsLong();
            lagSampled = Math.max(0, w.getAsLong() - log.head());
            nudge(w.getAsLong());
            long held = h.confirmed();
            long cap = stateConfig.maxWalHeld();
            if (held <= cap) {
                return;
            }
            long dropped = log.evictThrough(w.getAsLong() - cap / 2);
            long now = System.nanoTime();
            if (dropped > 0) {
                LOG.warn("slot {} holds {} bytes of WAL past its confirmed position, over --max-wal-held {}: dropped {} "
                        + "retained rows; the horizon is now {} and readers behind it get 410", captureConfig.slot(),
                        held, cap, dropped, log.horizon());
            } else if (log.confirmable() < w.getAsLong() - cap && now - walWarnedAt > 60_000_000_000L) {
                walWarnedAt = now;
                LOG.warn("slot {} holds {} bytes of WAL past its confirmed position, over --max-wal-held {}, and the "
                        + "relay has not read past {}: capture is behind the writer", captureConfig.slot(), held, cap,
                        log.confirmable());
            }
        } catch (RuntimeException e) {
            LOG.debug("WAL guard: {}", e.getMessage());
        }
    }

    /**
     * WAL without commits (VACUUM, checkpoints, index builds) reaches no consumer, so neither heartbeats nor the
     * slot move past it until the next commit. When the head has stood still for a tick with such WAL after it,
     * the relay emits a logical decoding message (non-transactional, a few bytes), which capture reads as a
     * position. An idle database with nothing after the head is left alone. A new slot's engine, which has no
     * position until it reads something from the slot ({@link Capture#positioned()}), gets such a message too.
     */
    private void nudge(long writerPosition) {
        long head = log.head();
        boolean stuck = head == lastHeadSeen && writerPosition - head > NUDGE_BYTES
                && capture.state() == Capture.State.STREAMING;
        lastHeadSeen = head;
        // a new slot's engine has no position until it reads something from the slot: give it a message to read
        boolean unpositioned = capture.state() == Capture.State.STREAMING && !capture.positioned();
        if (stuck || unpositioned) {
            writer.emitMessage();
        }
    }

    /** Compares the writer's schema with the catalog; an unreachable writer leaves the states as they were. */
    private void checkSchema() {
        try {
            SchemaGaps gaps = writer.schemaGaps(catalog.columnsByTable(), publications);
            if (gaps != null) {
                streamStates.update(gaps);
            }
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: report and keep checking
            LOG.warn("schema check failed: {}", e.toString());
        }
    }

    /** Each stream's state as of the last schema check (every {@value #SCHEMA_CHECK_MILLIS} ms), in catalog order. */
    public Map<String, String> streamStates() {
        return streamStates.current();
    }

    private void checkCaughtUp() {
        if (caughtUpMillis >= 0 || writerAtStart < 0) {
            return;
        }
        StreamLog.Stats s = log.stats(); // head and counts from one snapshot: the capture counters trail appends
        if (s.head() < writerAtStart) {
            replayProgress(s);
            return;
        }
        caughtUpMillis = (System.nanoTime() - startedAtNanos) / 1_000_000;
        LOG.info("caught up with the writer's WAL at start ({}) {} ms after start: {} transactions, {} rows replayed",
                Position.formatLsn(writerAtStart), caughtUpMillis, s.appendedTransactions(), s.appendedRows());
    }

    /** Replay (catch-up after a start) reports every this many nanoseconds, more often than the steady line. */
    public static final long REPLAY_PROGRESS_NANOS = 2_000_000_000L;
    private long replayReportedAt = System.nanoTime();
    private long replayRowsReported;

    /** While replaying the WAL written before the start: rows so far, their rate, and the WAL left to read. */
    private void replayProgress(StreamLog.Stats s) {
        long now = System.nanoTime();
        if (now - replayReportedAt < REPLAY_PROGRESS_NANOS) {
            return;
        }
        double rate = (s.appendedRows() - replayRowsReported) / ((now - replayReportedAt) / 1e9);
        replayReportedAt = now;
        replayRowsReported = s.appendedRows();
        long left = s.head() < 0 ? -1 : writerAtStart - s.head();
        LOG.info("replaying: {} rows in {} transactions, {} rows/s, {} bytes of WAL left to {} (the writer's position "
                        + "at start)", s.appendedRows(), s.appendedTransactions(), String.format("%.0f", rate),
                left < 0 ? "?" : Long.toString(left), Position.formatLsn(writerAtStart));
    }

    private long lastRows;
    private long lastTick = System.nanoTime();

    private void progress() {
        long rows = capture.rows();
        long now = System.nanoTime();
        double rate = (rows - lastRows) / ((now - lastTick) / 1e9);
        lastRows = rows;
        lastTick = now;
        StreamLog.Stats s = log.stats();
        OptionalLong w = writer.get();
        String lag = w.isPresent() ? Long.toString(Math.max(0, w.getAsLong() - s.head())) : "?";
        LOG.info("capture {}: {} rows/s, {} rows total, position {} ({}), lag {} bytes, retained {} rows, horizon {}, "
                        + "slot confirmed to {}, WAL held {} bytes ({} past the confirmed position)",
                capture.state().name().toLowerCase(), String.format("%.0f", rate), rows, s.head(),
                Position.formatLsn(s.head()), lag, s.retainedRows(), s.horizon(), capture.confirmed(), walHeld.retained(), walHeld.confirmed());
    }

    /** Status, readiness and metrics read the figures of the last WAL check, never the database. */
    private static CaptureFigures figures(Relay[] self) {
        return new CaptureFigures() {
            @Override
            public long writerPosition() {
                return self[0].writerSampled;
            }

            @Override
            public long captureLag() {
                return self[0].lagSampled;
            }

            @Override
            public long walHeld() {
                return self[0].walHeld.retained();
            }

            @Override
            public long walUnconfirmed() {
                return self[0].walHeld.confirmed();
            }
        };
    }

    /** The WAL the slot held at the last check (every second); the cap applies to {@code confirmed()}. */
    public SlotSetup.WalHeld walHeld() {
        return walHeld;
    }

    /** Milliseconds from start until the relay had read the WAL the writer had written at start, or -1. */
    public long caughtUpMillis() {
        return caughtUpMillis;
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
        return epoch;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        http.stop();
        capture.close();
        writer.close();
        keeper.close();
    }

    /** Fails before touching the database when the listener cannot be bound (e.g. a second relay on 9099). */
    private static void checkListenable(HttpConfig http) {
        if (http.port() == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(http.host(), http.port()));
        } catch (java.io.IOException e) {
            throw new StartupException("cannot listen on " + http.host() + ":" + http.port() + ": " + e.getMessage()
                    + " (is another relay or program using the port? choose another with --listen)");
        }
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

    /** The writer's current WAL position, asked at most every 50 ms over one reused connection. */
    static final class WriterPosition implements AutoCloseable {
        private final WriterConnection conn;
        private long value = -1;
        private long askedAt;

        WriterPosition(CaptureConfig config) {
            this.conn = new WriterConnection(config);
        }

        /** A recent value (at most 50 ms old); for logs and lag figures. */
        synchronized OptionalLong get() {
            if (value >= 0 && System.nanoTime() - askedAt < 50_000_000L) {
                return OptionalLong.of(value);
            }
            return fresh();
        }

        /**
         * At least {@code position} if the writer has reached it: a cached value below it is re-asked, so a token
         * taken from the writer a moment ago is never judged ahead of it.
         */
        synchronized OptionalLong atLeast(long position) {
            if (value >= position) {
                return OptionalLong.of(value);
            }
            return fresh();
        }

        /** Writes a non-transactional logical decoding message, which moves capture past WAL without commits. */
        synchronized void emitMessage() {
            try {
                conn.use(c -> {
                    try (java.sql.Statement st = c.createStatement()) {
                        return st.execute("SELECT pg_logical_emit_message(false, 'synrep', '')");
                    }
                });
            } catch (SQLException e) {
                if (!emitFailed) {
                    LOG.warn("cannot emit a logical decoding message to move the slot past WAL without commits ({}); "
                            + "grant EXECUTE on pg_logical_emit_message to the relay's role", e.getMessage());
                    emitFailed = true;
                }
            }
        }

        private boolean emitFailed;
        private boolean schemaCheckFailed;

        /** What the writer's schema lacks of the catalog's tables and columns, or null when it cannot be asked. */
        synchronized SchemaGaps schemaGaps(Map<String, java.util.Set<String>> columns, List<String> publications) {
            try {
                return conn.use(c -> SchemaGaps.find(c, columns, publications));
            } catch (SQLException e) {
                LOG.debug("schema check: {}", e.getMessage());
                if (!schemaCheckFailed) {
                    LOG.warn("cannot compare the writer's schema with the catalog: {}", e.getMessage());
                    schemaCheckFailed = true;
                }
                return null;
            }
        }

        /** The WAL the slot holds on the writer. */
        synchronized SlotSetup.WalHeld walHeld(String slot) {
            try {
                return conn.use(c -> SlotSetup.walHeld(c, slot));
            } catch (SQLException e) {
                return new SlotSetup.WalHeld(-1, -1);
            }
        }

        private OptionalLong fresh() {
            long now = System.nanoTime();
            try {
                value = conn.use(SlotSetup::currentWalPosition);
                askedAt = now;
                return OptionalLong.of(value);
            } catch (SQLException e) {
                return OptionalLong.empty();
            }
        }

        @Override
        public synchronized void close() {
            conn.close();
        }
    }
}

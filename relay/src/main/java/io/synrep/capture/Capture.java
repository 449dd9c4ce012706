package io.synrep.capture;

import io.debezium.embedded.Connect;
import io.debezium.embedded.async.ConvertingAsyncEngineBuilderFactory;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.synrep.config.CaptureConfig;
import io.synrep.log.TransactionSink;
import io.synrep.log.Transaction;
import io.synrep.streams.Catalog;
import io.synrep.streams.TransactionMapper;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debezium Embedded engine reading the writer's slot with pgoutput, feeding {@link CaptureConsumer}, and its
 * supervision: when the engine stops with an error after it has streamed (the writer restarted, the connection
 * dropped), capture waits with exponential backoff and jitter, runs the {@link Reconnect} hook (which re-checks the
 * slot and may start a new epoch), and starts a new engine from the saved offsets. Transactions replayed from those
 * offsets that the log already holds are skipped by position.
 *
 * <p>Captured transactions go to a {@link TransactionSink} (today the in-memory log); capture confirms to the slot
 * only what the sink can confirm.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once. {@link #state()} is safe from any thread.
 */
public final class Capture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Capture.class);
    static final String HEARTBEAT_PREFIX = "__debezium-heartbeat";

    /** Where capture is in its life. */
    public enum State { STARTING, STREAMING, RECONNECTING, FAILED, STOPPED }

    /** Runs before each reconnect attempt; throws when the writer cannot be reached yet (capture retries). */
    public interface Reconnect {
        void prepare() throws Exception;
    }

    private final CaptureConfig config;
    private final Catalog catalog;
    private final TransactionSink log;
    private final StateKeeper keeper;
    private final Reconnect reconnect;
    private final VisibilityGate gate;
    private final CaptureConsumer.CaptureStats stats = new CaptureConsumer.CaptureStats();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "synrep-capture");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "synrep-capture-supervisor");
        t.setDaemon(true);
        return t;
    });
    private volatile State state = State.STARTING;
    private volatile String failure;
    private volatile boolean closing;
    private volatile boolean everStreamed;
    private final AtomicLong restarts = new AtomicLong();
    private final java.util.Set<String> unavailableColumns = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private io.synrep.protocol.Backoff backoff = new io.synrep.protocol.Backoff(500, 30_000, 0.2); // 0.5..30 s ±20 %
    private RetryScheduler retries = (attempt, delayMillis) ->
            supervisor.schedule(attempt, delayMillis, TimeUnit.MILLISECONDS);
    private long batchesAtStart;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private TransactionMapper<Transaction> mapper;

    private final long checkpointSpacingBytes;
    private final String publications;

    /**
     * @param log                    where captured transactions go
     * @param checkpointSpacingBytes resume points are kept at least this many WAL bytes (or 250 ms) apart, which
     *                               bounds how far the confirmed position may trail what could be confirmed
     */
    public Capture(CaptureConfig config, Catalog catalog, TransactionSink log, StateKeeper keeper, Reconnect reconnect,
                   long checkpointSpacingBytes) {
        this(config, config.publication(), catalog, log, keeper, reconnect, checkpointSpacingBytes);
    }

    /**
     * @param publications           the publication name pgoutput reads: one name, or several separated by commas
     *                               ({@link Publications#streamed()})
     * @param checkpointSpacingBytes resume points are kept at least this many WAL bytes (or 250 ms) apart, which
     *                               bounds how far the confirmed position may trail what could be confirmed
     */
    public Capture(CaptureConfig config, String publications, Catalog catalog, TransactionSink log, StateKeeper keeper,
                   Reconnect reconnect, long checkpointSpacingBytes) {
        this(config, publications, catalog, log, keeper, reconnect, checkpointSpacingBytes,
                java.util.function.UnaryOperator.identity());
    }

    /**
     * As the public constructor, with a test seam: {@code snapshotSeen} is applied to every snapshot the {@link
     * VisibilityGate} reads ({@link VisibilityGate#VisibilityGate(CaptureConfig, java.util.function.UnaryOperator)}),
     * so that a test decides when a committed transaction counts as visible.
     */
    Capture(CaptureConfig config, String publications, Catalog catalog, TransactionSink log, StateKeeper keeper,
            Reconnect reconnect, long checkpointSpacingBytes, java.util.function.UnaryOperator<String> snapshotSeen) {
        this.publications = publications;
        this.checkpointSpacingBytes = checkpointSpacingBytes;
        this.config = config;
        this.catalog = catalog;
        this.log = log;
        this.keeper = keeper;
        this.reconnect = reconnect;
        this.gate = new VisibilityGate(config, snapshotSeen);
    }

    /** Runs a reconnect attempt after a delay; the supervisor's executor outside tests. */
    interface RetryScheduler {
        void schedule(Runnable attempt, long delayMillis);
    }

    /**
     * A test seam, called before {@link #start()}: reconnect attempts wait by {@code backoff} and are handed to
     * {@code retries} with the delay capture asks for, so that a test sees the delays without waiting them out.
     */
    synchronized void retryWith(io.synrep.protocol.Backoff backoff, RetryScheduler retries) {
        this.backoff = backoff;
        this.retries = retries;
    }

    public synchronized void start() {
        launch();
    }

    private synchronized void launch() {
        if (closing) {
            return;
        }
        if (mapper != null) {
            mapper.reset();
        }
        mapper = new TransactionMapper<>(catalog, new TransactionBuffer(config.spillDir(), config.spillThreshold()),
                this::missingColumn, this::unavailable);
        // read again at every (re)connection: an operator may have set REPLICA IDENTITY FULL meanwhile
        mapper.deletesCarryOnly(ReplicaIdentityCheck.identityColumns(config, catalog.tables()));
        // resume points at or below the saved offsets are never marked again (offsets must not move backwards)
        Checkpoints<RecordChangeEvent<SourceRecord>> checkpoints = new Checkpoints<>(
                keeper.current().resumePosition(), 250, checkpointSpacingBytes, 8192);
        CaptureConsumer consumer = new CaptureConsumer(log, mapper, config.slot(), HEARTBEAT_PREFIX, stats,
                checkpoints, InstantSource.system(), gate, keeper.current().resumePosition() >= 0);
        batchesAtStart = stats.batches.get();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> e = new ConvertingAsyncEngineBuilderFactory()
                .builder(ChangeEventFormat.of(Connect.class))
                .using(properties())
                .notifying(consumer)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        state = State.STREAMING;
                        everStreamed = true;
                        LOG.info("capture streaming from slot {}", config.slot());
                    }
                })
                .using((success, message, error) -> stopped(success, message, error))
                .build();
        engine = e;
        executor.execute(e);
    }

    private void stopped(boolean success, String message, Throwable error) {
        if (closing) {
            if (state != State.FAILED) {
                state = State.STOPPED;
            }
            return;
        }
        String why = message + (error == null ? "" : ": " + rootMessage(error));
        String unrecoverable = unrecoverable(error);
        if (unrecoverable != null) {
            failure = unrecoverable;
            state = State.FAILED;
            LOG.error("capture stopped: {} ({})", unrecoverable, why);
            return;
        }
        if (!everStreamed) {
            failure = why;
            state = State.FAILED;
            LOG.error("capture stopped: {}", why);
            return;
        }
        failure = why;
        state = State.RECONNECTING;
        scheduleReconnect(why);
    }

    /**
     * A failure that reconnecting cannot cure, explained with its fix, or null. pgoutput looks the publication up
     * as of each change's position: when the publication did not exist then (it was created after the slot, or
     * dropped and created again), every attempt to decode that change fails the same way.
     */
    String unrecoverable(Throwable error) {
        String root = error == null ? "" : rootMessage(error);
        String missing = null;
        for (String name : publications.split(",")) {
            if (root.contains("publication \"" + name + "\" does not exist")) {
                missing = name;
            }
        }
        if (missing != null) {
            return "slot " + config.slot() + " cannot decode its WAL with publication " + missing
                    + ": the publication did not exist when those changes were written (created after the slot, or "
                    + "dropped and created again). Drop the slot (SELECT pg_drop_replication_slot('" + config.slot()
                    + "')) and restart the relay: it creates a new slot after the publication (a new epoch: readers "
                    + "resync)";
        }
        return null;
    }

    private synchronized void scheduleReconnect(String why) {
        if (stats.batches.get() > batchesAtStart) {
            backoff.reset();
            // counted once: attempts that fail before capture streams again keep doubling the wait
            batchesAtStart = stats.batches.get();
        }
        long delay = backoff.nextDelayMillis();
        LOG.warn("capture stopped ({}); reconnecting in {} ms", why, delay);
        retries.schedule(this::reconnect, delay);
    }

    private void reconnect() {
        if (closing) {
            return;
        }
        try {
            reconnect.prepare();
        } catch (Exception e) {
            scheduleReconnect("writer not ready: " + rootMessage(e));
            return;
        }
        restarts.incrementAndGet();
        launch();
    }

    /** A change lacked a column the catalog reads (once per table schema version and stream). */
    private void missingColumn(String stream, String table, String column) {
        stats.missingColumns.incrementAndGet();
        LOG.warn("stream {}: a change of {} has no column {} (dropped or renamed while streaming?): the stream's "
                + "rows carry null for it until the catalog maps the field to an existing column and the relay restarts",
                stream, table, column);
    }

    /**
     * An UPDATE left a large (TOASTed) value unchanged and the WAL does not carry it: the field is streamed as
     * null. Counted always; logged once per column, with the fix.
     */
    private void unavailable(String schema, String table, String column) {
        stats.unavailable.incrementAndGet();
        if (unavailableColumns.add(schema + "." + table + "." + column)) {
            LOG.warn("{}.{}: an UPDATE left the large (TOASTed) value of column {} unchanged and the WAL does not carry"
                    + " it, because the table's replica identity is not FULL; the stream row has null in its place."
                    + " Fix: ALTER TABLE {}.{} REPLICA IDENTITY FULL (sql/schema.sql does this for Synapse's tables)",
                    schema, table, column, schema, table);
        }
    }

    /**
     * Values streamed as null because the WAL did not carry them (see {@link #unavailable}); zero when every
     * streamed table has {@code REPLICA IDENTITY FULL}.
     */
    public long unavailableValues() {
        return stats.unavailable.get();
    }

    public State state() {
        return state;
    }

    /**
     * How many times a change lacked a column the catalog reads (counted once per table schema version and stream
     * that reads the column): non-zero after a mapped column was dropped or renamed while streaming.
     */
    public long missingColumns() {
        return stats.missingColumns.get();
    }

    /** Why capture failed or last stopped, or null. */
    public String failure() {
        return failure;
    }

    /**
     * False while the engine, started without saved offsets, has read nothing from the slot: its heartbeats carry no
     * usable position yet, so the position stands still until a transaction or a logical decoding message arrives
     * (the relay emits one, see its nudge).
     */
    public boolean positioned() {
        return stats.positioned.get();
    }

    public long transactions() {
        return stats.transactions.get();
    }

    public long rows() {
        return stats.rows.get();
    }

    /** Transactions skipped because the log already held their position (replays after an engine restart). */
    public long duplicates() {
        return stats.duplicates.get();
    }

    /** How many times capture reconnected after an error. */
    public long restarts() {
        return restarts.get();
    }

    /** The position of the newest resume point marked processed: where the slot is (or soon will be) confirmed. */
    public long confirmed() {
        return stats.confirmed.get();
    }

    /**
     * What Debezium's engine is started with for {@code key} (e.g. {@code heartbeat.interval.ms}), or null when it is
     * not set; the database password is never returned. For diagnostics and tests of the configuration path.
     */
    public String engineSetting(String key) {
        if (key.equals("database.password")) {
            return null;
        }
        return properties().getProperty(key);
    }

    Properties properties() {
        Properties driver = org.postgresql.Driver.parseURL(config.jdbcUrl(), new Properties());
        if (driver == null) {
            throw new IllegalArgumentException("cannot parse pg-url " + config.jdbcUrl());
        }
        Properties p = new Properties();
        p.setProperty("name", "synrep");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", StateOffsetStore.class.getName());
        p.setProperty(StateOffsetStore.KEEPER_PROPERTY, keeper.id());
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("database.hostname", driver.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", driver.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", driver.getProperty("PGDBNAME", "postgres"));
        String user = config.user() != null ? config.user() : driver.getProperty("user", WriterConnection.DEFAULT_USER);
        p.setProperty("database.user", user);
        String password = config.password() != null ? config.password() : driver.getProperty("password", "");
        p.setProperty("database.password", password);
        // the slot names the offsets' partition and Debezium's JMX beans: two relays in one JVM must differ
        p.setProperty("topic.prefix", config.slot());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slot());
        p.setProperty("publication.name", publications);
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeat().toMillis()));
        p.setProperty("heartbeat.topics.prefix", HEARTBEAT_PREFIX);

        p.setProperty("poll.interval.ms", Long.toString(config.pollInterval().toMillis()));
        p.setProperty("max.batch.size", "20480");
        p.setProperty("max.queue.size", "81920");
        p.setProperty("table.include.list", catalog.tables().stream()
                .map(t -> t.replace(".", "\\.")).collect(Collectors.joining(",")));
        // the replication connection only notices a server shutdown when it next writes a status update
        p.setProperty("status.update.interval.ms", "1000");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "string");
        // bytes, not base64: the row encoder writes them as base64 itself, and in base64 mode Debezium turns an
        // unchanged TOASTed bytea into null (with a WARN) instead of its placeholder, which capture must recognise
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("hstore.handling.mode", "json");
        p.setProperty("include.unknown.datatypes", "true");
        // schemas name each column's source type: numeric's NaN comes as "NAN", which only the type tells from text
        p.setProperty("column.propagate.source.type", ".*");
        p.setProperty("slot.drop.on.stop", "false");
        // no retries inside the engine: capture re-checks the slot before each reconnect (a dropped slot must start
        // a new epoch, not be recreated silently by Debezium)
        p.setProperty("errors.max.retries", "0");
        p.setProperty("statistics.metrics.enabled", "false");
        return p;
    }

    @Override
    public void close() {
        closing = true;
        supervisor.shutdownNow();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
        synchronized (this) {
            engine = this.engine;
        }
        if (engine != null) {
            try {
                engine.close();
            } catch (IOException e) {
                LOG.warn("closing capture: {}", e.getMessage());
            }
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("capture did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (state != State.FAILED) {
            state = State.STOPPED;
        }
        if (mapper != null) {
            mapper.reset();
        }
        gate.close();
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}

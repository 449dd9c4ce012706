package io.synrep.capture;

import io.debezium.embedded.Connect;
import io.debezium.embedded.async.ConvertingAsyncEngineBuilderFactory;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.synrep.config.CaptureConfig;
import io.synrep.log.StreamLog;
import io.synrep.log.TransactionBuffer;
import io.synrep.streams.Catalog;
import io.synrep.streams.TransactionMapper;
import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debezium Embedded engine reading the writer's slot with pgoutput, feeding {@link CaptureConsumer}.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once. {@link #state()} is safe from any thread.
 */
public final class Capture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Capture.class);
    static final String TOPIC_PREFIX = "synrep";
    static final String HEARTBEAT_PREFIX = "__debezium-heartbeat";

    /** Where capture is in its life. */
    public enum State { STARTING, STREAMING, FAILED, STOPPED }

    private final CaptureConfig config;
    private final Catalog catalog;
    private final StreamLog log;
    private final CaptureConsumer.CaptureStats stats = new CaptureConsumer.CaptureStats();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "synrep-capture");
        t.setDaemon(true);
        return t;
    });
    private volatile State state = State.STARTING;
    private volatile String failure;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private TransactionMapper mapper;

    public Capture(CaptureConfig config, Catalog catalog, StreamLog log) {
        this.config = config;
        this.catalog = catalog;
        this.log = log;
    }

    public void start() {
        mapper = new TransactionMapper(catalog, new TransactionBuffer(config.spillDir(), config.spillThreshold()));
        CaptureConsumer consumer = new CaptureConsumer(log, mapper, TOPIC_PREFIX, HEARTBEAT_PREFIX, stats);
        engine = new ConvertingAsyncEngineBuilderFactory()
                .builder(ChangeEventFormat.of(Connect.class))
                .using(properties())
                .notifying(consumer)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        state = State.STREAMING;
                        LOG.info("capture streaming from slot {}", config.slot());
                    }
                })
                .using((success, message, error) -> {
                    if (!success) {
                        failure = message + (error == null ? "" : ": " + rootMessage(error));
                        state = State.FAILED;
                        LOG.error("capture stopped: {}", failure);
                    } else if (state != State.FAILED) {
                        state = State.STOPPED;
                    }
                })
                .build();
        executor.execute(engine);
    }

    public State state() {
        return state;
    }

    /** Why capture failed, or null. */
    public String failure() {
        return failure;
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

    Properties properties() {
        Properties driver = org.postgresql.Driver.parseURL(config.jdbcUrl(), new Properties());
        if (driver == null) {
            throw new IllegalArgumentException("cannot parse pg-url " + config.jdbcUrl());
        }
        Properties p = new Properties();
        p.setProperty("name", "synrep");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("database.hostname", driver.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", driver.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", driver.getProperty("PGDBNAME", "postgres"));
        String user = config.user() != null ? config.user() : driver.getProperty("user", "postgres");
        p.setProperty("database.user", user);
        String password = config.password() != null ? config.password() : driver.getProperty("password", "");
        p.setProperty("database.password", password);
        p.setProperty("topic.prefix", TOPIC_PREFIX);
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slot());
        p.setProperty("publication.name", config.publication());
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
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("binary.handling.mode", "base64");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("hstore.handling.mode", "json");
        p.setProperty("include.unknown.datatypes", "true");
        p.setProperty("slot.drop.on.stop", "false");
        p.setProperty("errors.max.retries", "-1");
        p.setProperty("statistics.metrics.enabled", "false");
        return p;
    }

    @Override
    public void close() {
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
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}

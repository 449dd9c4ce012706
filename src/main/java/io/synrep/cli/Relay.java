package io.synrep.cli;

import io.javalin.Javalin;
import io.synrep.capture.Capture;
import io.synrep.capture.SlotSetup;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.http.HttpApi;
import io.synrep.http.RelayStatus;
import io.synrep.log.StreamLog;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import io.synrep.streams.StreamRule;
import java.sql.Connection;
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
 * A running relay: slot checks, log, capture and HTTP, started in that order and stopped in reverse
 * (HTTP first so no reader sees a half-stopped relay, then capture).
 */
public final class Relay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    private final StreamLog log;
    private final Capture capture;
    private final Javalin http;
    private final String epoch;
    private final ScheduledExecutorService ticker;
    private final WriterPosition writer;

    private Relay(StreamLog log, Capture capture, Javalin http, String epoch, ScheduledExecutorService ticker,
                  WriterPosition writer) {
        this.log = log;
        this.capture = capture;
        this.http = http;
        this.epoch = epoch;
        this.ticker = ticker;
        this.writer = writer;
    }

    public static Relay start(CaptureConfig captureConfig, HttpConfig httpConfig, RetentionConfig retention,
                              Catalog catalog) {
        LOG.info("effective configuration: {}; {}; {}; streams {}", captureConfig, httpConfig, retention,
                catalog.streamNames());
        checkListenable(httpConfig);
        SlotSetup.Prepared prepared = SlotSetup.prepare(captureConfig, catalog.tables());
        String epoch = prepared.systemId() + "-" + captureConfig.slot();
        StreamLog log = new StreamLog(catalog.streamNames(), retention, InstantSource.system());
        log.start(prepared.startPosition());
        LOG.info("slot {} confirmed up to {} ({}); epoch {}", captureConfig.slot(),
                Position.formatLsn(prepared.startPosition()), prepared.startPosition(), epoch);
        Capture capture = new Capture(captureConfig, catalog, log);
        capture.start();
        WriterPosition writer = new WriterPosition(captureConfig);
        RelayStatus status = new RelayStatus() {
            @Override
            public boolean streaming() {
                return capture.state() == Capture.State.STREAMING;
            }

            @Override
            public String epoch() {
                return epoch;
            }

            @Override
            public OptionalLong writerPosition(long atLeast) {
                return writer.atLeast(atLeast);
            }

            @Override
            public String describe() {
                String f = capture.failure();
                return "capture " + capture.state().name().toLowerCase() + (f == null ? "" : ": " + f);
            }
        };
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (StreamRule r : catalog.rules().values()) {
            fields.put(r.name(), r.fields());
        }
        Javalin app = HttpApi.create(log, fields, httpConfig, status);
        try {
            app.start();
        } catch (RuntimeException e) {
            capture.close();
            throw new StartupException("cannot listen on " + httpConfig.host() + ":" + httpConfig.port()
                    + ": " + rootMessage(e) + " (is the port in use? choose another with --listen)");
        }
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "synrep-ticker");
            t.setDaemon(true);
            return t;
        });
        Relay relay = new Relay(log, capture, app, epoch, ticker, writer);
        ticker.scheduleAtFixedRate(log::expire, 1, 1, TimeUnit.SECONDS);
        ticker.scheduleAtFixedRate(relay::progress, 10, 10, TimeUnit.SECONDS);
        LOG.info("serving GET http://{}:{}/_synapse/replication", httpConfig.host(), app.port());
        return relay;
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
        LOG.info("capture {}: {} rows/s, {} rows total, position {} ({}), lag {} bytes, retained {} rows",
                capture.state().name().toLowerCase(), String.format("%.0f", rate), rows, s.head(),
                Position.formatLsn(s.head()), lag, s.retainedRows());
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
        StartupException(String message) {
            super(message);
        }
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    /** The writer's current WAL position, asked at most every 50 ms over one reused connection. */
    static final class WriterPosition implements AutoCloseable {
        private final CaptureConfig config;
        private Connection conn;
        private long value = -1;
        private long askedAt;

        WriterPosition(CaptureConfig config) {
            this.config = config;
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

        private OptionalLong fresh() {
            long now = System.nanoTime();
            try {
                if (conn == null || conn.isClosed()) {
                    conn = SlotSetup.connect(config);
                }
                value = SlotSetup.currentWalPosition(conn);
                askedAt = now;
                return OptionalLong.of(value);
            } catch (SQLException e) {
                closeQuietly();
                return OptionalLong.empty();
            }
        }

        private void closeQuietly() {
            try {
                if (conn != null) {
                    conn.close();
                }
            } catch (SQLException ignored) {
                // already broken
            }
            conn = null;
        }

        @Override
        public synchronized void close() {
            closeQuietly();
        }
    }
}

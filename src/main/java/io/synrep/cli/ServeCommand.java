package io.synrep.cli;

import io.synrep.Relay;
import io.synrep.capture.Capture;
import io.synrep.capture.CatalogChoice;
import io.synrep.config.CaptureConfig;
import io.synrep.config.ConfigKey;
import io.synrep.config.ConfigKeys;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.Secret;
import io.synrep.config.StateConfig;
import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.http.PemKeys;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code synrep serve}: the relay, attached to a writer's database or to an embedded one. */
final class ServeCommand {
    static final String HELP = """
            Usage: synrep serve [options]

            Runs the relay: reads the writer's WAL through a logical replication slot and serves
            GET /_synapse/replication (long-poll), /health, /health/live, /health/ready, /status,
            /metrics (Prometheus), /openapi.json and a status page at /.

            Without --pg-url an embedded PostgreSQL (wal_level=logical) is started, sql/schema.sql is
            applied, and its JDBC URL is printed so that you can write to it.

            Options (each also as SYNREP_<NAME> in the environment or 'name = value' in the --config
            file; the command line wins over the environment, which wins over the file):
            """ + ConfigKeys.help(ConfigKeys.SERVE) + """
              --help                  this text

            Durations: 500ms, 30s, 5m, 2h.
            """;

    static final Set<String> OPTIONS = Args.known(ConfigKeys.SERVE);

    private ServeCommand() {}

    static int run(List<String> argv, Map<String, String> env, PrintStream out) throws Exception {
        Args a = Args.resolve("serve", argv, env);
        Options o = Options.from(a);
        EmbeddedDatabase embedded = null;
        String url = o.pgUrl;
        Path dataDir = o.dataDir;
        if (url == null) {
            out.println("No --pg-url given: starting an embedded PostgreSQL (wal_level=logical) ...");
            if (dataDir == null) {
                dataDir = Files.createTempDirectory("synrep-data");
            }
            embedded = EmbeddedDatabase.start(o.dataDir == null ? null : o.dataDir.resolve("postgres"), o.pgPort);
            embedded.applySchema();
            url = embedded.jdbcUrl();
            out.println("Embedded PostgreSQL is up; schema applied.");
            out.println("  JDBC URL: " + url);
            out.println("  psql:     psql -h localhost -p " + embedded.port() + " -U postgres postgres");
        }
        if (dataDir == null) {
            dataDir = Path.of("synrep-data");
        }
        CaptureConfig capture = o.capture(url, dataDir);
        Relay relay;
        try {
            relay = Relay.start(capture, o.http, o.retention, () -> o.chooseCatalog(capture), o.state(dataDir),
                    o.ops);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
        String scheme = o.http.tls() ? "https" : "http";
        out.println("Synrep relay serving " + scheme + "://" + o.http.host() + ":" + relay.port()
                + Endpoint.PATH + (o.http.auth() == null ? "" : " (bearer secret required)"));
        out.println("  try: curl " + (o.http.auth() == null ? "" : "-H \"Authorization: Bearer $SYNREP_AUTH_SECRET\" ")
                + "'" + scheme + "://" + o.http.host() + ":" + relay.port()
                + Endpoint.PATH + "?events=-1&receipts=-1&timeout=30000'");
        out.flush();
        awaitShutdown(() -> relay.capture().state() == Capture.State.FAILED, relay, embedded);
        // the command's error stream (Cli prints it as one line and exits 1)
        throw new Relay.StartupException("capture failed: " + relay.capture().failure());
    }

    /**
     * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then closes the resources in the given order
     * (null entries are skipped) before the JVM exits; returns early, after closing them, when {@code failed}
     * becomes true.
     */
    static void awaitShutdown(java.util.function.BooleanSupplier failed, AutoCloseable... resources)
            throws InterruptedException {
        Thread hook = new Thread(() -> {
            for (AutoCloseable r : resources) {
                if (r == null) {
                    continue;
                }
                try {
                    r.close();
                } catch (Exception e) {
                    System.err.println("synrep: while stopping: " + e.getMessage());
                }
            }
        }, "synrep-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        while (!failed.getAsBoolean()) {
            Thread.sleep(500);
        }
        // capture gave up (a non-retriable error): stop cleanly and let the caller exit non-zero
        Runtime.getRuntime().removeShutdownHook(hook);
        hook.run();
    }

    /** Options shared by {@code serve} and {@code demo}. */
    static final class Options {
        String pgUrl;
        String user;
        String password;
        HttpConfig http;
        /** The relay's bearer secret as text, for in-process readers (demo); null when none is required. */
        String authSecret;
        String slot;
        String publication;
        /** {@value CatalogChoice#DETECT}, a built-in catalog's name, or a catalog file. */
        String catalogOption;
        Path dataDir;
        StateConfig.Store store;
        Long startLsn;
        long maxWalHeld;
        int pgPort;
        Duration heartbeat;
        RetentionConfig retention;
        Path spillDir;
        long spillThreshold;
        OpsConfig ops;

        static Options from(Args a) {
            return from(a, Runtime.getRuntime().maxMemory());
        }

        /** As {@link #from(Args)} in a JVM whose maximum heap is {@code maxHeapBytes} (the retention-bytes default). */
        static Options from(Args a, long maxHeapBytes) {
            Options o = new Options();
            o.pgUrl = a.get("pg-url", null);
            if (o.pgUrl != null && !o.pgUrl.startsWith("jdbc:postgresql://")) {
                throw new Args.UsageException("serve: " + a.label("pg-url") + " must look like "
                        + "jdbc:postgresql://HOST:PORT/DB, was '" + ConfigKey.maskUrlPassword(o.pgUrl) + "'");
            }
            o.user = a.get("pg-user", null);
            o.password = a.get("pg-password", null);
            HttpConfig d = HttpConfig.defaults();
            String listen = a.get("listen", d.host() + ":" + d.port());
            int colon = listen.lastIndexOf(':');
            if (colon <= 0) {
                throw new Args.UsageException("serve: " + a.label("listen") + " must be HOST:PORT, was '" + listen + "'");
            }
            int port;
            try {
                port = Integer.parseInt(listen.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new Args.UsageException("serve: " + a.label("listen") + " port must be a number, was '"
                        + listen.substring(colon + 1) + "'");
            }
            try {
                o.http = new HttpConfig(listen.substring(0, colon), port, d.defaultTimeout(),
                        a.getLong("max-timeout-ms", d.maxTimeout(), d.defaultTimeout(), 3_600_000),
                        d.defaultLimit(), d.maxLimit(),
                        (int) a.getLong("max-waiting", d.maxWaiting(), 1, 1_000_000));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("serve: " + a.label("listen") + ": " + e.getMessage());
            }
            o.http = hardening(a, o.http);
            o.authSecret = SecretFile.read(a.command(), a, "auth-secret-file", SecretFile.AUTH_ENV);
            o.http = o.http.withAuth(o.authSecret == null ? null : Secret.of(o.authSecret));
            o.slot = a.get("slot", "synrep");
            o.publication = a.get("publication", "synrep");
            o.catalogOption = a.get("catalog", CatalogChoice.DETECT);
            if (!o.catalogOption.equals(CatalogChoice.DETECT) && !Catalog.BUILTIN_NAMES.contains(o.catalogOption)
                    && !Files.isReadable(Path.of(o.catalogOption))) {
                throw new Args.UsageException(a.command() + ": " + a.label("catalog") + " must be "
                        + CatalogChoice.DETECT + ", one of " + Catalog.BUILTIN_NAMES + " or a readable catalog file, was '"
                        + o.catalogOption + "'");
            }
            String dir = a.get("data-dir", null);
            o.dataDir = dir == null ? null : Path.of(dir);
            o.pgPort = (int) a.getLong("pg-port", 0, 0, 65535);
            String store = a.get("offset-store", "file");
            o.store = switch (store) {
                case "file" -> StateConfig.Store.FILE;
                case "table" -> StateConfig.Store.TABLE;
                default -> throw new Args.UsageException("serve: " + a.label("offset-store") + " must be file or table, was '"
                        + store + "'");
            };
            String lsn = a.get("start-lsn", null);
            if (lsn != null) {
                try {
                    o.startLsn = lsn.contains("/") ? Position.parseLsn(lsn) : Long.parseLong(lsn);
                } catch (IllegalArgumentException e) {
                    throw new Args.UsageException("serve: " + a.label("start-lsn")
                            + " must be a WAL position like 0/16B3748 or an integer, was '" + lsn + "'");
                }
                if (o.startLsn < 0) {
                    throw new Args.UsageException("serve: " + a.label("start-lsn") + " must not be negative, was " + lsn);
                }
            }
            o.maxWalHeld = a.getLong("max-wal-held", StateConfig.DEFAULT_MAX_WAL_HELD, 1, Long.MAX_VALUE);
            o.heartbeat = a.getDuration("heartbeat", Duration.ofSeconds(1));
            String spill = a.get("spill-dir", null);
            o.spillDir = spill == null ? null : Path.of(spill);
            o.spillThreshold = a.getLong("spill-threshold", CaptureConfig.DEFAULT_SPILL_THRESHOLD, 1, Long.MAX_VALUE);
            o.ops = new OpsConfig(a.getLong("ready-max-lag", OpsConfig.DEFAULT_READY_MAX_LAG, 0, Long.MAX_VALUE));
            RetentionConfig r = RetentionConfig.defaults(maxHeapBytes);
            Duration age = a.getDuration("retention-age", r.maxAge());
            if (age.isZero()) {
                throw new Args.UsageException("serve: " + a.label("retention-age") + " must be a positive duration, was "
                        + a.get("retention-age", ""));
            }
            try {
                o.retention = new RetentionConfig(a.getLong("retention-rows", r.maxRows(), 1, Long.MAX_VALUE),
                        a.getLong("retention-bytes", r.maxBytes(), 1, Long.MAX_VALUE), age);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("serve: " + e.getMessage());
            }
            return o;
        }

        /** Limits and TLS beyond the listen address; the TLS files are read now so that a bad one stops startup. */
        private static HttpConfig hardening(Args a, HttpConfig http) {
            HttpConfig h = http.withLimits(http.maxTimeout(),
                            (int) a.getLong("max-limit", http.maxLimit(), http.defaultLimit(), 1_000_000))
                    .withMaxQueryLength((int) a.getLong("max-query-length", http.maxQueryLength(),
                            HttpConfig.MIN_QUERY_LENGTH, HttpConfig.MAX_QUERY_LENGTH));
            Duration idle = a.getDuration("idle-timeout", Duration.ofMillis(http.idleTimeout()));
            if (idle.toMillis() < 100 || idle.toHours() > 24) {
                throw new Args.UsageException(a.command() + ": " + a.label("idle-timeout") + " must be between 100ms and 24h, was "
                        + idle);
            }
            h = h.withIdleTimeout(idle.toMillis());
            String cert = a.get("tls-cert", null);
            String key = a.get("tls-key", null);
            if ((cert == null) != (key == null)) {
                throw new Args.UsageException(a.command() + ": give both --tls-cert and --tls-key, or neither");
            }
            if (cert != null) {
                try {
                    PemKeys.keyStore(Path.of(cert), Path.of(key), "check".toCharArray());
                } catch (IllegalArgumentException e) {
                    throw new Args.UsageException(a.command() + ": " + e.getMessage());
                }
                h = h.withTls(Path.of(cert), Path.of(key));
            }
            return h;
        }

        /** The catalog to serve on the database {@code c} reads, chosen as {@link CatalogChoice} explains. */
        CatalogChoice chooseCatalog(CaptureConfig c) {
            try (java.sql.Connection conn = io.synrep.capture.WriterConnection.open(c)) {
                return CatalogChoice.choose(conn, catalogOption);
            } catch (java.sql.SQLException e) {
                throw io.synrep.capture.SlotSetup.explainFailure(c, e);
            }
        }

        StateConfig state(Path dir) {
            return new StateConfig(dir, store, startLsn, maxWalHeld);
        }

        /** Capture settings; spill files go to {@code --spill-dir}, else {@code spill/} under the data directory. */
        CaptureConfig capture(String url, Path dataDir) {
            Path spill = spillDir != null ? spillDir
                    : dataDir != null ? dataDir.resolve("spill") : CaptureConfig.defaultSpillDir();
            try {
                return new CaptureConfig(url, user, password, slot, publication, heartbeat, Duration.ofMillis(10),
                        spill, spillThreshold);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("serve: " + e.getMessage());
            }
        }
    }
}

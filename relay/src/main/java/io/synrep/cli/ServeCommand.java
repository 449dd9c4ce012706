package io.synrep.cli;

import io.synrep.Relay;
import io.synrep.capture.Capture;
import io.synrep.capture.CatalogChoice;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HostPort;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.Resolved;
import io.synrep.config.RetentionConfig;
import io.synrep.config.Secret;
import io.synrep.config.ServeSettings;
import io.synrep.config.Setting;
import io.synrep.config.StateConfig;
import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.http.PemKeys;
import io.synrep.protocol.Endpoint;
import io.synrep.streams.Catalog;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** {@code synrep serve}: the relay, attached to a writer's database or to an embedded one. */
final class ServeCommand {
    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("serve",
            List.of("the relay: WAL -> streams -> GET /_synapse/replication"), "[options]",
            List.of("Runs the relay: reads the writer's WAL through a logical replication slot and serves",
                    "GET /_synapse/replication (long-poll), /health, /health/live, /health/ready, /status,",
                    "/metrics (Prometheus), /openapi.json and a status page at /.",
                    "",
                    "Without --pg-url an embedded PostgreSQL (wal_level=logical) is started, sql/schema.sql is",
                    "applied, and its JDBC URL is printed so that you can write to it."),
            "Options (each also as SYNREP_<NAME> in the environment or 'name = value' in the --config\n"
                    + "file; the command line wins over the environment, which wins over the file):",
            ServeSettings.KEYS, List.of("", "Durations: 500ms, 30s, 5m, 2h."), "serve");

    private ServeCommand() {}

    static int run(Resolved settings, PrintStream out) throws Exception {
        Options o = Options.from(settings);
        EmbeddedDatabase embedded = null;
        String url = o.pgUrl();
        Path dataDir = o.dataDir();
        if (url == null) {
            out.println("No --pg-url given: starting an embedded PostgreSQL (wal_level=logical) ...");
            if (dataDir == null) {
                dataDir = Files.createTempDirectory("synrep-data");
            }
            embedded = EmbeddedDatabase.start(o.dataDir() == null ? null : o.dataDir().resolve("postgres"), o.pgPort());
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
            relay = Relay.start(capture, o.http(), o.retention(), () -> o.chooseCatalog(capture), o.state(dataDir),
                    o.ops());
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
        HttpConfig http = o.http();
        String scheme = http.tls() ? "https" : "http";
        out.println("Synrep relay serving " + scheme + "://" + http.host() + ":" + relay.port()
                + Endpoint.PATH + (http.auth() == null ? "" : " (bearer secret required)"));
        out.println("  try: curl " + (http.auth() == null ? "" : "-H \"Authorization: Bearer $SYNREP_AUTH_SECRET\" ")
                + "'" + scheme + "://" + http.host() + ":" + relay.port()
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

    /**
     * What {@code serve} (and {@code demo}, {@code prepare}) starts with, from {@link ServeSettings}: the records the
     * relay's components take and what the command itself decides (the embedded database, the catalog). Immutable.
     *
     * @param pgUrl         the writer's database, or null for an embedded one
     * @param authSecret    the relay's bearer secret as text, for in-process readers (demo); null when none
     * @param catalogOption {@value CatalogChoice#DETECT}, a built-in catalog's name, or a catalog file
     * @param dataDir       the data directory, or null (a temporary one for an embedded database, else
     *                      {@code synrep-data})
     * @param startLsn      where to replay from, or null
     * @param spillDir      where large transactions go, or null for {@code spill/} under the data directory
     */
    record Options(String pgUrl, String user, String password, HttpConfig http, String authSecret, String slot,
                   String publication, String catalogOption, Path dataDir, StateConfig.Store store, Long startLsn,
                   long maxWalHeld, int pgPort, Duration heartbeat, RetentionConfig retention, Path spillDir,
                   long spillThreshold, OpsConfig ops) {

        /** The options of a {@code serve} command line with this environment, in this JVM. */
        static Options parse(List<String> argv, Map<String, String> env) {
            return parse(argv, env, Runtime.getRuntime().maxMemory());
        }

        /** As {@link #parse(List, Map)} in a JVM whose maximum heap is {@code maxHeapBytes} (retention-bytes). */
        static Options parse(List<String> argv, Map<String, String> env, long maxHeapBytes) {
            CommandLine cl = CommandLines.of(DEFINITION, env, maxHeapBytes);
            try {
                return from(CommandLines.resolve(cl.parseArgs(argv.toArray(String[]::new)), "serve",
                        ServeSettings.KEYS, maxHeapBytes));
            } catch (CommandLine.ParameterException e) {
                throw new UsageException(CommandLines.message(e));
            }
        }

        /** Checks what the table cannot check alone (the catalog, TLS files, the secret) and builds the records. */
        static Options from(Resolved r) {
            String command = r.command();
            HostPort listen = r.get(ServeSettings.LISTEN);
            HttpConfig http;
            try {
                HttpConfig d = HttpConfig.defaults();
                http = new HttpConfig(listen.host(), listen.port(), d.defaultTimeout(),
                        r.get(ServeSettings.MAX_TIMEOUT_MS), d.defaultLimit(), d.maxLimit(),
                        r.get(ServeSettings.MAX_WAITING).intValue())
                        .withLimits(r.get(ServeSettings.MAX_TIMEOUT_MS), r.get(ServeSettings.MAX_LIMIT).intValue())
                        .withMaxQueryLength(r.get(ServeSettings.MAX_QUERY_LENGTH).intValue())
                        .withIdleTimeout(r.get(ServeSettings.IDLE_TIMEOUT).toMillis());
            } catch (IllegalArgumentException e) {
                throw new UsageException(command + ": " + e.getMessage());
            }
            http = withTls(r, http, ServeSettings.TLS_CERT, ServeSettings.TLS_KEY);
            String authSecret = SecretFile.read(r, ServeSettings.AUTH_SECRET_FILE, ServeSettings.AUTH_SECRET,
                    SecretFile.AUTH_ENV);
            http = http.withAuth(authSecret == null ? null : Secret.of(authSecret));
            String catalog = r.get(ServeSettings.CATALOG);
            if (!catalog.equals(CatalogChoice.DETECT) && !Catalog.BUILTIN_NAMES.contains(catalog)
                    && !Files.isReadable(Path.of(catalog))) {
                throw new UsageException(command + ": " + r.label(ServeSettings.CATALOG) + " must be "
                        + CatalogChoice.DETECT + ", one of " + Catalog.BUILTIN_NAMES
                        + " or a readable catalog file, was '" + catalog + "'");
            }
            RetentionConfig retention = new RetentionConfig(r.get(ServeSettings.RETENTION_ROWS),
                    r.get(ServeSettings.RETENTION_BYTES), r.get(ServeSettings.RETENTION_AGE));
            return new Options(r.get(ServeSettings.PG_URL), r.get(ServeSettings.PG_USER),
                    r.get(ServeSettings.PG_PASSWORD), http, authSecret, r.get(ServeSettings.SLOT),
                    r.get(ServeSettings.PUBLICATION), catalog, r.get(ServeSettings.DATA_DIR),
                    r.get(ServeSettings.OFFSET_STORE), r.get(ServeSettings.START_LSN), r.get(ServeSettings.MAX_WAL_HELD),
                    r.get(ServeSettings.PG_PORT).intValue(), r.get(ServeSettings.HEARTBEAT), retention,
                    r.get(ServeSettings.SPILL_DIR), r.get(ServeSettings.SPILL_THRESHOLD),
                    new OpsConfig(r.get(ServeSettings.READY_MAX_LAG)));
        }

        /** TLS for a listener; the files are read now so that a bad one stops startup. */
        static HttpConfig withTls(Resolved r, HttpConfig http, Setting<Path> certKey, Setting<Path> keyKey) {
            Path cert = r.get(certKey);
            Path key = r.get(keyKey);
            checkTls(r.command(), cert, key);
            return cert == null ? http : http.withTls(cert, key);
        }

        /** Both or neither, and readable as a certificate chain and its unencrypted key. */
        static void checkTls(String command, Path cert, Path key) {
            if ((cert == null) != (key == null)) {
                throw new UsageException(command + ": give both --tls-cert and --tls-key, or neither");
            }
            if (cert != null) {
                try {
                    PemKeys.keyStore(cert, key, "check".toCharArray());
                } catch (IllegalArgumentException e) {
                    throw new UsageException(command + ": " + e.getMessage());
                }
            }
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
                throw new UsageException("serve: " + e.getMessage());
            }
        }
    }
}

package io.synrep.config;

import io.synrep.protocol.Position;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The settings of {@code synrep serve}, in the order help texts and docs list them. A new key is one more line here;
 * the command line, the environment, the configuration file, {@code --help}, {@code synrep config} and
 * docs/configuration.md take it from this table.
 */
public final class ServeSettings {
    private static final List<Setting<?>> ALL = new ArrayList<>();

    private ServeSettings() {}

    public static final Setting<Path> CONFIG = add(Settings.CONFIG);
    public static final Setting<String> PG_URL = add(Setting.text("pg-url", "URL", null, Settings::jdbcUrl,
            "the writer's database, jdbc:postgresql://HOST:PORT/DB[?user=..&password=..]; without it an embedded "
                    + "PostgreSQL is started"));
    public static final Setting<String> PG_USER = add(Setting.text("pg-user", "NAME", null,
            "login role (default: from the URL, else postgres)"));
    public static final Setting<String> PG_PASSWORD = add(Setting.text("pg-password", "PW", null,
            "the role's password (default: from the URL)").secret());
    public static final Setting<HostPort> LISTEN = add(Setting.of("listen", "HOST:PORT", HostPort.class,
            new HostPort("127.0.0.1", 9099), HostPort::parse, HostPort::toString,
            "HTTP listener; port 0 = any free port"));
    public static final Setting<String> SLOT = add(Setting.text("slot", "NAME", "synrep",
            "logical replication slot, created when absent"));
    public static final Setting<String> PUBLICATION = add(Setting.text("publication", "NAME", "synrep",
            "publication name: NAME publishes inserts, NAME_upd updates and NAME_del deletes of the catalog tables "
                    + "that need them, created when absent (see 'synrep prepare'); at most 17 characters"));
    public static final Setting<String> CATALOG = add(Setting.text("catalog", "NAME|FILE", "builtin",
            "stream catalog: builtin (the built-in catalog that fits the database's Synapse schema, detected), "
                    + "synapse-current, synapse-seed, or a catalog file replacing (or extending) it"));
    public static final Setting<Path> DATA_DIR = add(Setting.path("data-dir", "DIR", null,
            "the relay's data directory: state.json (offsets, horizon, epoch), spill files, and with no "
                    + "pg-url the embedded PostgreSQL (then temporary when not set)").shownDefault("./synrep-data"));
    public static final Setting<StateConfig.Store> OFFSET_STORE = add(Setting.of("offset-store", "KIND",
            StateConfig.Store.class, StateConfig.Store.FILE, ServeSettings::store,
            s -> s.name().toLowerCase(Locale.ROOT),
            "file (DIR/state.json) or table (synrep_state in the writer's database)").bounds("file, table"));
    public static final Setting<Long> START_LSN = add(Setting.of("start-lsn", "LSN", Long.class, null,
            ServeSettings::lsn, Position::formatLsn,
            "replay from this WAL position (X/Y or an integer), at or after the slot's confirmed position"));
    public static final Setting<Long> MAX_WAL_HELD = add(Setting.integer("max-wal-held",
            StateConfig.DEFAULT_MAX_WAL_HELD, 1, Long.MAX_VALUE,
            "most bytes of WAL the slot may hold; past it the oldest retained rows are dropped"));
    public static final Setting<Long> PG_PORT = add(Setting.integer("pg-port", 0, 0, 65535,
            "embedded PostgreSQL only: its port (0 = any free port)"));
    public static final Setting<Duration> HEARTBEAT = add(Setting.duration("heartbeat", Duration.ofSeconds(1),
            Duration.ofMillis(1), null, "heartbeat interval (moves positions on an idle database)"));
    public static final Setting<Long> RETENTION_ROWS = add(Setting.integer("retention-rows", 1_000_000, 1,
            Long.MAX_VALUE, "most rows retained in memory"));
    /** Its default depends on the heap: the smaller of 256 MiB and a quarter of {@code -Xmx}. */
    public static final Setting<Long> RETENTION_BYTES = add(Setting.integer("retention-bytes",
            RetentionConfig.DEFAULT_MAX_BYTES_CAP, 1, Long.MAX_VALUE,
            "most encoded row bytes retained; the default is 256 MiB, or a quarter of the maximum heap (-Xmx) if "
                    + "that is smaller").heapDefault(RetentionConfig::defaultMaxBytes));
    public static final Setting<Duration> RETENTION_AGE = add(Setting.duration("retention-age", Duration.ofHours(1),
            Duration.ofMillis(1), null, "rows older than this are dropped"));
    public static final Setting<Long> MAX_TIMEOUT_MS = add(Setting.integer("max-timeout-ms", 60_000,
            HttpConfig.DEFAULT_TIMEOUT, 3_600_000, "cap on a request's timeout"));
    public static final Setting<Long> MAX_WAITING = add(Setting.integer("max-waiting", 20_000, 1, 1_000_000,
            "most long-polls held at once; more get 503 M_LIMIT_EXCEEDED with Retry-After"));
    public static final Setting<Long> MAX_LIMIT = add(Setting.integer("max-limit", 10_000, HttpConfig.DEFAULT_LIMIT,
            1_000_000, "cap on a request's limit (larger values are clamped)"));
    public static final Setting<Long> MAX_QUERY_LENGTH = add(Setting.integer("max-query-length",
            HttpConfig.DEFAULT_MAX_QUERY_LENGTH, HttpConfig.MIN_QUERY_LENGTH, HttpConfig.MAX_QUERY_LENGTH,
            "longest query string accepted, in characters; longer gets 414"));
    public static final Setting<Duration> IDLE_TIMEOUT = add(Setting.duration("idle-timeout",
            Duration.ofMillis(HttpConfig.DEFAULT_IDLE_TIMEOUT), Duration.ofMillis(100), Duration.ofHours(24),
            "close a connection that makes no progress reading a request or writing a response for this "
                    + "long (a client that stopped reading); parked long-polls are not idle"));
    public static final Setting<String> AUTH_SECRET = add(Setting.text("auth-secret", "SECRET", null,
            "require 'Authorization: Bearer SECRET' on every endpoint but the health probes and the status "
                    + "page shell; at least 16 visible ASCII characters. Prefer the environment or "
                    + "auth-secret-file to the command line").secret());
    public static final Setting<Path> AUTH_SECRET_FILE = add(Setting.path("auth-secret-file", "FILE", null,
            "read auth-secret from this file (wins over auth-secret)"));
    public static final Setting<Path> TLS_CERT = add(Setting.path("tls-cert", "FILE", null,
            "serve HTTPS with this PEM certificate chain (server certificate first)"));
    public static final Setting<Path> TLS_KEY = add(Setting.path("tls-key", "FILE", null,
            "and this unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY)"));
    public static final Setting<Long> READY_MAX_LAG = add(Setting.integer("ready-max-lag",
            OpsConfig.DEFAULT_READY_MAX_LAG, 0, Long.MAX_VALUE,
            "GET /health/ready answers 503 when capture lags the writer's WAL by more than N bytes"));
    public static final Setting<Path> SPILL_DIR = add(Setting.path("spill-dir", "DIR", null,
            "where transactions larger than spill-threshold are kept (files left by a crash are deleted)")
            .shownDefault("DIR/spill"));
    public static final Setting<Long> SPILL_THRESHOLD = add(Setting.integer("spill-threshold",
            CaptureConfig.DEFAULT_SPILL_THRESHOLD, 1, Long.MAX_VALUE,
            "heap bytes one transaction may use before it spills"));

    /** Every setting of {@code serve}, in table order. */
    public static final List<Setting<?>> KEYS = Collections.unmodifiableList(ALL);

    private static <T> Setting<T> add(Setting<T> s) {
        ALL.add(s);
        return s;
    }

    private static StateConfig.Store store(String text) {
        return switch (text) {
            case "file" -> StateConfig.Store.FILE;
            case "table" -> StateConfig.Store.TABLE;
            default -> throw new IllegalArgumentException("must be file or table, was '" + text + "'");
        };
    }

    private static Long lsn(String text) {
        long n;
        try {
            n = text.contains("/") ? Position.parseLsn(text) : Long.parseLong(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be a WAL position like 0/16B3748 or an integer, was '" + text + "'");
        }
        if (n < 0) {
            throw new IllegalArgumentException("must not be negative, was " + text);
        }
        return n;
    }
}

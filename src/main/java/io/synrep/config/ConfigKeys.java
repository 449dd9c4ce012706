package io.synrep.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The configuration keys of the long-running commands, in one table: name, default and meaning. Help texts, the
 * key tables of docs/configuration.md and {@code synrep config} are all made from it. Values are read with the precedence
 * command line &gt; environment ({@code SYNREP_*}) &gt; configuration file &gt; default.
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    /** Names the configuration file; it is read from {@code --config} or {@code SYNREP_CONFIG}, never from a file. */
    public static final ConfigKey CONFIG = ConfigKey.of("config", "FILE", "",
            "configuration file of 'key = value' lines (see docs/configuration.md, docker/synrep.conf)");

    private static final ConfigKey PG_URL_SERVE = ConfigKey.of("pg-url", "URL", "",
            "the writer's database, jdbc:postgresql://HOST:PORT/DB[?user=..&password=..]; without it an embedded "
                    + "PostgreSQL is started");

    /**
     * Its table default is the documented cap (256 MiB); the default a relay runs with also depends on its heap, see
     * {@link #resolvedDefault}.
     */
    private static final ConfigKey RETENTION_BYTES = ConfigKey.of("retention-bytes", "N",
            Long.toString(RetentionConfig.DEFAULT_MAX_BYTES_CAP),
            "most encoded row bytes retained; the default is 256 MiB, or a quarter of the maximum heap (-Xmx) if that "
                    + "is smaller");

    public static final List<ConfigKey> SERVE = List.of(
            CONFIG,
            PG_URL_SERVE,
            ConfigKey.of("pg-user", "NAME", "", "login role (default: from the URL, else postgres)"),
            ConfigKey.secret("pg-password", "PW", "the role's password (default: from the URL)"),
            ConfigKey.of("listen", "HOST:PORT", "127.0.0.1:9099", "HTTP listener; port 0 = any free port"),
            ConfigKey.of("slot", "NAME", "synrep", "logical replication slot, created when absent"),
            ConfigKey.of("publication", "NAME", "synrep",
                    "publication name: NAME publishes inserts, NAME_upd updates and NAME_del deletes of the catalog tables that need them, created when absent (see 'synrep prepare'); at most 17 characters"),
            ConfigKey.of("catalog", "NAME|FILE", "builtin",
                    "stream catalog: builtin (the built-in catalog that fits the database's Synapse schema, detected), "
                            + "synapse-current, synapse-seed, or a catalog file replacing (or extending) it"),
            ConfigKey.of("data-dir", "DIR", "./synrep-data",
                    "the relay's data directory: state.json (offsets, horizon, epoch), spill files, and with no "
                            + "pg-url the embedded PostgreSQL (then temporary when not set)"),
            ConfigKey.of("offset-store", "KIND", "file",
                    "file (DIR/state.json) or table (synrep_state in the writer's database)"),
            ConfigKey.of("start-lsn", "LSN", "",
                    "replay from this WAL position (X/Y or an integer), at or after the slot's confirmed position"),
            ConfigKey.of("max-wal-held", "N", "1073741824",
                    "most bytes of WAL the slot may hold; past it the oldest retained rows are dropped"),
            ConfigKey.of("pg-port", "N", "0", "embedded PostgreSQL only: its port (0 = any free port)"),
            ConfigKey.of("heartbeat", "D", "1s", "heartbeat interval (moves positions on an idle database)"),
            ConfigKey.of("retention-rows", "N", "1000000", "most rows retained in memory"),
            RETENTION_BYTES,
            ConfigKey.of("retention-age", "D", "1h", "rows older than this are dropped"),
            ConfigKey.of("max-timeout-ms", "N", "60000", "cap on a request's timeout"),
            ConfigKey.of("max-waiting", "N", "20000",
                    "most long-polls held at once; more get 503 M_LIMIT_EXCEEDED with Retry-After"),
            ConfigKey.of("max-limit", "N", "10000", "cap on a request's limit (larger values are clamped)"),
            ConfigKey.of("max-query-length", "N", "4096",
                    "longest query string accepted, in characters (256..65536); longer gets 414"),
            ConfigKey.of("idle-timeout", "D", "30s",
                    "close a connection that makes no progress reading a request or writing a response for this "
                            + "long (a client that stopped reading); parked long-polls are not idle"),
            ConfigKey.secret("auth-secret", "SECRET",
                    "require 'Authorization: Bearer SECRET' on every endpoint but the health probes and the status "
                            + "page shell; at least 16 visible ASCII characters. Prefer the environment or "
                            + "auth-secret-file to the command line"),
            ConfigKey.of("auth-secret-file", "FILE", "", "read auth-secret from this file (wins over auth-secret)"),
            ConfigKey.of("tls-cert", "FILE", "", "serve HTTPS with this PEM certificate chain (server certificate first)"),
            ConfigKey.of("tls-key", "FILE", "", "and this unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY)"),
            ConfigKey.of("ready-max-lag", "N", "67108864",
                    "GET /health/ready answers 503 when capture lags the writer's WAL by more than N bytes"),
            ConfigKey.of("spill-dir", "DIR", "DIR/spill",
                    "where transactions larger than spill-threshold are kept (files left by a crash are deleted)"),
            ConfigKey.of("spill-threshold", "N", "16777216", "heap bytes one transaction may use before it spills"));

    public static final List<ConfigKey> WORKER = List.of(
            CONFIG,
            ConfigKey.of("relay", "URL", "", "the relay, e.g. http://127.0.0.1:9099 (required)"),
            ConfigKey.of("pg-url", "URL", "",
                    "the writer's database (read only), jdbc:postgresql://HOST:PORT/DB?user=..&password=.. (required)"),
            ConfigKey.of("listen", "HOST:PORT", "127.0.0.1:9100", "read API listener; port 0 = any free port"),
            ConfigKey.of("name", "NAME", "worker", "this worker's name, for its token file or row and its logs"),
            ConfigKey.of("tokens", "FILE", "./synrep-worker-NAME.tokens.json",
                    "where stream tokens are kept between runs; 'memory' keeps them in memory only"),
            ConfigKey.flag("token-table", "keep the tokens in synrep_reader_tokens of pg-url's database instead"),
            ConfigKey.of("from", "TOKEN", "now",
                    "where to start when no tokens were saved: now, -1 (oldest retained), a position or an LSN"),
            ConfigKey.of("cache-size", "N", "100000", "most entries per cache"),
            ConfigKey.of("pool-size", "N", "8", "most database connections"),
            ConfigKey.of("poll-timeout", "D", "5s", "how long the relay may hold a poll"),
            ConfigKey.secret("relay-secret", "SECRET", "the relay's auth-secret, sent as 'Authorization: Bearer'"),
            ConfigKey.of("relay-secret-file", "FILE", "", "read relay-secret from this file (wins over relay-secret)"),
            ConfigKey.of("relay-ca", "FILE", "",
                    "trust only these PEM certificates for an https:// relay (default: the JVM's trust store)"),
            ConfigKey.secret("auth-secret", "SECRET",
                    "require 'Authorization: Bearer SECRET' on the read API, all of it but /health"),
            ConfigKey.of("auth-secret-file", "FILE", "", "read auth-secret from this file (wins over auth-secret)"),
            ConfigKey.of("tls-cert", "FILE", "", "serve the read API over HTTPS with this PEM certificate chain"),
            ConfigKey.of("tls-key", "FILE", "", "and this unencrypted PKCS#8 PEM key"));

    private static final Map<String, List<ConfigKey>> BY_COMMAND = new LinkedHashMap<>();

    static {
        BY_COMMAND.put("serve", SERVE);
        BY_COMMAND.put("worker", WORKER);
    }

    /** The commands that read configuration files and the environment. */
    public static Set<String> commands() {
        return Collections.unmodifiableSet(BY_COMMAND.keySet());
    }

    public static Optional<List<ConfigKey>> of(String command) {
        return Optional.ofNullable(BY_COMMAND.get(command));
    }

    /** Every key name any command has. */
    public static Set<String> allNames() {
        Set<String> all = new TreeSet<>();
        BY_COMMAND.values().forEach(keys -> keys.forEach(k -> all.add(k.name())));
        return all;
    }

    /**
     * The default a command runs with for {@code k} in a JVM whose maximum heap is {@code maxHeapBytes}: the table's
     * default, except for {@code retention-bytes}, whose default is the smaller of 256 MiB and a quarter of the heap.
     */
    public static String resolvedDefault(ConfigKey k, long maxHeapBytes) {
        if (k.equals(RETENTION_BYTES)) {
            return Long.toString(RetentionConfig.defaultMaxBytes(maxHeapBytes));
        }
        return k.defaultValue();
    }

    /** The default {@code k} resolves to in this JVM. */
    public static String resolvedDefault(ConfigKey k) {
        return resolvedDefault(k, Runtime.getRuntime().maxMemory());
    }

    /** The options part of a command's help text for this JVM: see {@link #help(List, long)}. */
    public static String help(List<ConfigKey> keys) {
        return help(keys, Runtime.getRuntime().maxMemory());
    }

    /**
     * The options part of a command's help text, one key per entry, wrapped at 100 columns; each default is the one
     * the command resolves in a JVM with this maximum heap.
     */
    public static String help(List<ConfigKey> keys, long maxHeapBytes) {
        StringBuilder sb = new StringBuilder();
        for (ConfigKey k : keys) {
            String head = "  --" + k.name() + (k.isFlag() ? "" : " " + k.value());
            String shown = resolvedDefault(k, maxHeapBytes);
            String doc = k.doc() + (shown.isEmpty() || k.isFlag() ? "" : " (default " + shown + ")")
                    + "; env " + k.envName();
            List<String> lines = wrap(doc, 100 - 26);
            if (head.length() > 24) {
                sb.append(head).append('\n');
            } else {
                sb.append(String.format("%-26s", head)).append(lines.remove(0)).append('\n');
            }
            for (String l : lines) {
                sb.append(" ".repeat(26)).append(l).append('\n');
            }
        }
        return sb.toString();
    }

    private static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        out.add(line.toString());
        return out;
    }
}

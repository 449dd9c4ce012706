package io.synrep.config;

import io.synrep.protocol.Position;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The settings of {@code synrep worker}, in the order help texts and docs list them. In a configuration file a key
 * may be written {@code worker.KEY} to apply to the worker only. A new key is one more line here.
 */
public final class WorkerSettings {
    private static final List<Setting<?>> ALL = new ArrayList<>();

    private WorkerSettings() {}

    public static final Setting<Path> CONFIG = add(Settings.CONFIG);
    public static final Setting<URI> RELAY = add(Setting.of("relay", "URL", URI.class, null, WorkerSettings::relay,
            URI::toString, "the relay, e.g. http://127.0.0.1:9099 (required)"));
    public static final Setting<String> PG_URL = add(Setting.text("pg-url", "URL", null, Settings::jdbcUrl,
            "the writer's database (read only), jdbc:postgresql://HOST:PORT/DB?user=..&password=.. (required)"));
    public static final Setting<HostPort> LISTEN = add(Setting.of("listen", "HOST:PORT", HostPort.class,
            new HostPort("127.0.0.1", 9100), HostPort::parse, HostPort::toString,
            "read API listener; port 0 = any free port"));
    public static final Setting<String> NAME = add(Setting.text("name", "NAME", "worker", WorkerSettings::name,
            "this worker's name, for its token file or row and its logs"));
    public static final Setting<String> TOKENS = add(Setting.text("tokens", "FILE", null,
            "where stream tokens are kept between runs; 'memory' keeps them in memory only")
            .shownDefault("./synrep-worker-NAME.tokens.json"));
    public static final Setting<Boolean> TOKEN_TABLE = add(Setting.flag("token-table",
            "keep the tokens in synrep_reader_tokens of pg-url's database instead"));
    public static final Setting<String> FROM = add(Setting.text("from", "TOKEN", Position.NOW_TOKEN,
            WorkerSettings::token,
            "where to start when no tokens were saved: now, -1 (oldest retained), a position or an LSN"));
    public static final Setting<Long> CACHE_SIZE = add(Setting.integer("cache-size", 100_000, 1, 1_000_000_000,
            "most entries per cache"));
    public static final Setting<Long> POOL_SIZE = add(Setting.integer("pool-size", 8, 1, 256,
            "most database connections"));
    public static final Setting<Duration> POLL_TIMEOUT = add(Setting.duration("poll-timeout", Duration.ofSeconds(5),
            Duration.ofMillis(1), Duration.ofMinutes(60), "how long the relay may hold a poll"));
    public static final Setting<String> RELAY_SECRET = add(Setting.text("relay-secret", "SECRET", null,
            "the relay's auth-secret, sent as 'Authorization: Bearer'").secret());
    public static final Setting<Path> RELAY_SECRET_FILE = add(Setting.path("relay-secret-file", "FILE", null,
            "read relay-secret from this file (wins over relay-secret)"));
    public static final Setting<Path> RELAY_CA = add(Setting.path("relay-ca", "FILE", null,
            "trust only these PEM certificates for an https:// relay (default: the JVM's trust store)"));
    public static final Setting<String> AUTH_SECRET = add(Setting.text("auth-secret", "SECRET", null,
            "require 'Authorization: Bearer SECRET' on the read API, all of it but /health").secret());
    public static final Setting<Path> AUTH_SECRET_FILE = add(Setting.path("auth-secret-file", "FILE", null,
            "read auth-secret from this file (wins over auth-secret)"));
    public static final Setting<Path> TLS_CERT = add(Setting.path("tls-cert", "FILE", null,
            "serve the read API over HTTPS with this PEM certificate chain"));
    public static final Setting<Path> TLS_KEY = add(Setting.path("tls-key", "FILE", null,
            "and this unencrypted PKCS#8 PEM key"));

    /** Every setting of {@code worker}, in table order. */
    public static final List<Setting<?>> KEYS = Collections.unmodifiableList(ALL);

    private static <T> Setting<T> add(Setting<T> s) {
        ALL.add(s);
        return s;
    }

    private static URI relay(String url) {
        try {
            URI u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be http://HOST:PORT or https://HOST:PORT, was '" + url + "'");
        }
    }

    private static String name(String name) {
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("must be 1-64 letters, digits, '_', '.' or '-', was '" + name + "'");
        }
        return name;
    }

    /** Checks a start token (now, -1, a position or an LSN) and returns it in its canonical form. */
    public static String token(String token) {
        try {
            return Position.canonicalToken(token);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be now, -1, a position or an LSN like 0/16B3748, was '"
                    + token + "'");
        }
    }
}

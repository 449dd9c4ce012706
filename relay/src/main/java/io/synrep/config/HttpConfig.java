package io.synrep.config;

import java.nio.file.Path;

/**
 * The replication listener.
 *
 * @param host           interface to bind; default loopback, as Synapse's replication listener was local-only
 * @param port           TCP port, 0 for any free port
 * @param defaultTimeout long-poll hold time in ms when the request gives none
 * @param maxTimeout     cap on a request's {@code timeout}; larger values are clamped to it
 * @param defaultLimit   per-stream soft row cap when the request gives none
 * @param maxLimit       cap on a request's {@code limit}; larger values are clamped to it
 * @param maxWaiting     most requests held at once; more get 503 M_LIMIT_EXCEEDED
 * @param auth           the bearer secret every request but {@code /health} must present, or null for none;
 *                       prints as {@code ***}
 * @param tlsCert        PEM certificate chain (server certificate first) to serve HTTPS with, or null for plain HTTP
 * @param tlsKey         the certificate's private key, PEM PKCS#8 ({@code BEGIN PRIVATE KEY}); null iff tlsCert is
 * @param maxQueryLength most characters of a request's (still percent-encoded) query string; longer gets 414
 * @param idleTimeout    ms a connection may make no progress reading a request or writing a response (a client that
 *                       stops reading) before it is closed; a parked long-poll is not idle
 */
public record HttpConfig(String host, int port, long defaultTimeout, long maxTimeout, int defaultLimit, int maxLimit,
                         int maxWaiting, Secret auth, Path tlsCert, Path tlsKey, int maxQueryLength,
                         long idleTimeout) {
    /** Long-poll hold time in ms when a request gives no {@code timeout}; the least {@code max-timeout-ms}. */
    public static final long DEFAULT_TIMEOUT = 10_000;
    /** Rows per stream when a request gives no {@code limit}; the least {@code max-limit}. */
    public static final int DEFAULT_LIMIT = 100;
    public static final int DEFAULT_MAX_QUERY_LENGTH = 4096;
    public static final long DEFAULT_IDLE_TIMEOUT = 30_000;
    /** Bounds of {@link #maxQueryLength}: the listener allows request headers of this plus 8 KiB. */
    public static final int MIN_QUERY_LENGTH = 256;
    public static final int MAX_QUERY_LENGTH = 65_536;

    public HttpConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("listen host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("listen port must be 0..65535, was " + port);
        }
        if (maxTimeout < 0 || defaultTimeout < 0 || defaultTimeout > maxTimeout) {
            throw new IllegalArgumentException("timeouts must satisfy 0 <= default <= max, were " + defaultTimeout
                    + " and " + maxTimeout);
        }
        if (defaultLimit < 1 || maxLimit < defaultLimit) {
            throw new IllegalArgumentException("limits must satisfy 1 <= default <= max, were " + defaultLimit
                    + " and " + maxLimit);
        }
        if (maxWaiting < 1) {
            throw new IllegalArgumentException("max waiting requests must be >= 1, was " + maxWaiting);
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate file and a key file");
        }
        if (maxQueryLength < MIN_QUERY_LENGTH || maxQueryLength > MAX_QUERY_LENGTH) {
            throw new IllegalArgumentException("max query length must be " + MIN_QUERY_LENGTH + ".." + MAX_QUERY_LENGTH
                    + ", was " + maxQueryLength);
        }
        if (idleTimeout < 100) {
            throw new IllegalArgumentException("idle timeout must be at least 100 ms, was " + idleTimeout);
        }
    }

    /** Plain HTTP without a secret, with the default query length and idle timeout. */
    public HttpConfig(String host, int port, long defaultTimeout, long maxTimeout, int defaultLimit, int maxLimit,
                      int maxWaiting) {
        this(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, null, null, null,
                DEFAULT_MAX_QUERY_LENGTH, DEFAULT_IDLE_TIMEOUT);
    }

    /** The listener {@code serve} starts with when nothing is configured (see {@link ServeSettings}). */
    public static HttpConfig defaults() {
        HostPort listen = ServeSettings.LISTEN.defaultValue();
        return new HttpConfig(listen.host(), listen.port(), DEFAULT_TIMEOUT, ServeSettings.MAX_TIMEOUT_MS.defaultValue(),
                DEFAULT_LIMIT, ServeSettings.MAX_LIMIT.defaultValue().intValue(),
                ServeSettings.MAX_WAITING.defaultValue().intValue());
    }

    public boolean tls() {
        return tlsCert != null;
    }

    public HttpConfig withListen(String host, int port) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, auth,
                tlsCert, tlsKey, maxQueryLength, idleTimeout);
    }

    public HttpConfig withMaxWaiting(int maxWaiting) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, auth,
                tlsCert, tlsKey, maxQueryLength, idleTimeout);
    }

    public HttpConfig withLimits(long maxTimeout, int maxLimit) {
        return new HttpConfig(host, port, Math.min(defaultTimeout, maxTimeout), maxTimeout,
                Math.min(defaultLimit, maxLimit), maxLimit, maxWaiting, auth, tlsCert, tlsKey, maxQueryLength,
                idleTimeout);
    }

    /** @param auth null: no secret required */
    public HttpConfig withAuth(Secret auth) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, auth,
                tlsCert, tlsKey, maxQueryLength, idleTimeout);
    }

    /** @param cert null (with key null): plain HTTP */
    public HttpConfig withTls(Path cert, Path key) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, auth,
                cert, key, maxQueryLength, idleTimeout);
    }

    public HttpConfig withMaxQueryLength(int maxQueryLength) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, auth,
                tlsCert, tlsKey, maxQueryLength, idleTimeout);
    }

    public HttpConfig withIdleTimeout(long idleTimeout) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting, auth,
                tlsCert, tlsKey, maxQueryLength, idleTimeout);
    }
}

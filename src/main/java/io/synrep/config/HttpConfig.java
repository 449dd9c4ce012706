package io.synrep.config;

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
 */
public record HttpConfig(String host, int port, long defaultTimeout, long maxTimeout, int defaultLimit, int maxLimit,
                         int maxWaiting) {
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
    }

    public static HttpConfig defaults() {
        return new HttpConfig("127.0.0.1", 9099, 10_000, 60_000, 100, 10_000, 20_000);
    }

    public HttpConfig withListen(String host, int port) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting);
    }

    public HttpConfig withMaxWaiting(int maxWaiting) {
        return new HttpConfig(host, port, defaultTimeout, maxTimeout, defaultLimit, maxLimit, maxWaiting);
    }
}

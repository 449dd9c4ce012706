package io.synrep.config;

/**
 * A listener's address, {@code HOST:PORT}; port 0 means any free port.
 *
 * @param host interface to bind, not empty
 * @param port 0..65535
 */
public record HostPort(String host, int port) {
    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("must be HOST:PORT, was ':" + port + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was '" + port + "'");
        }
    }

    /** Reads {@code HOST:PORT}; a bad text is an {@link IllegalArgumentException} as a {@link Setting.Parser}'s. */
    public static HostPort parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("must be HOST:PORT, was '" + text + "'");
        }
        String port = text.substring(colon + 1);
        int n;
        try {
            n = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was '" + port + "'");
        }
        return new HostPort(text.substring(0, colon), n);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}

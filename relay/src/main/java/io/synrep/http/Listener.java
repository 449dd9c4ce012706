package io.synrep.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.synrep.config.HttpConfig;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.ErrorCode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Enumeration;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * What the relay's and the worker's listeners share: the Jetty connector (plain HTTP, or HTTPS from PEM files), its
 * idle timeout, JSON bodies for Jetty's own rejections, the bearer secret, and the query length limit.
 *
 * <p>Guarantees, in this order, before any route runs: HEAD gets 405 (every endpoint is GET only); a request to a path outside {@code openPaths} without the
 * configured secret gets 401 ({@code M_MISSING_TOKEN} without an {@code Authorization: Bearer} header,
 * {@code M_UNKNOWN_TOKEN} with a wrong one) with {@code WWW-Authenticate: Bearer}; then a query string longer than
 * {@link HttpConfig#maxQueryLength()} gets 414 {@code M_TOO_LARGE}. Jetty's request header limit is set above that
 * length so that the JSON 414 is what clients normally see; what Jetty rejects itself is JSON too. A connection that
 * makes no progress (a client that sends nothing or stops reading a response) for {@link HttpConfig#idleTimeout()}
 * is closed, which frees its thread and buffers.
 */
public final class Listener {
    private static final String AUTHORIZATION = Endpoint.AUTHORIZATION_HEADER;
    private static final String BEARER = Endpoint.BEARER;

    private Listener() {}

    /** Configures {@code c}'s connector and checks; call before registering routes. */
    public static void configure(JavalinConfig c, HttpConfig config, Set<String> openPaths) {
        KeyStore keys = null;
        char[] password = null;
        if (config.tls()) {
            // the key store lives only in this process: a random password is as good as any
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            password = Base64.getEncoder().encodeToString(random).toCharArray();
            keys = PemKeys.keyStore(config.tlsCert(), config.tlsKey(), password);
        }
        KeyStore keyStore = keys;
        char[] keyPassword = password;
        c.jetty.host = config.host();
        c.jetty.port = config.port();
        c.jetty.modifyServer(server -> server.setErrorHandler(new JettyErrors()));
        c.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(new JettyErrors()));
        c.jetty.addConnector((server, http) -> {
            http.setRequestHeaderSize(Math.max(http.getRequestHeaderSize(), config.maxQueryLength() + 8192));
            http.setSendServerVersion(false);
            http.setSendXPoweredBy(false);
            ServerConnector connector;
            if (keyStore != null) {
                http.addCustomizer(new SecureRequestCustomizer(false)); // hostname checks are the client's job
                SslContextFactory.Server ssl = new SslContextFactory.Server();
                ssl.setKeyStore(keyStore);
                ssl.setKeyStorePassword(new String(keyPassword));
                connector = new ServerConnector(server, new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
                        new HttpConnectionFactory(http));
            } else {
                connector = new ServerConnector(server, new HttpConnectionFactory(http));
            }
            connector.setHost(config.host());
            connector.setPort(config.port());
            connector.setIdleTimeout(config.idleTimeout());
            return connector;
        });
        c.routes.before(ctx -> check(ctx, config, openPaths));
    }

    private static void check(Context ctx, HttpConfig config, Set<String> openPaths) {
        if (ctx.method() == HandlerType.HEAD) {
            // Javalin would answer HEAD for any GET route with an empty 200, without running it: every endpoint is
            // GET only, so say so
            reject(ctx, 405, ErrorCode.M_UNRECOGNIZED, "method not allowed: HEAD (use GET)");
            return;
        }
        if (config.auth() != null && !openPaths.contains(ctx.path())) {
            Enumeration<String> headers = ctx.req().getHeaders(AUTHORIZATION);
            String presented = headers.hasMoreElements() ? headers.nextElement() : null;
            if (presented == null) {
                unauthorized(ctx, ErrorCode.M_MISSING_TOKEN, "this endpoint needs the header 'Authorization: Bearer <secret>'");
                return;
            }
            if (headers.hasMoreElements()) {
                unauthorized(ctx, ErrorCode.M_MISSING_TOKEN, "give one Authorization header, not several");
                return;
            }
            if (!presented.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                unauthorized(ctx, ErrorCode.M_MISSING_TOKEN, "the Authorization header must be 'Bearer <secret>'");
                return;
            }
            if (!config.auth().matches(presented.substring(BEARER.length()).trim())) {
                unauthorized(ctx, ErrorCode.M_UNKNOWN_TOKEN, "the bearer secret is not the one this server was given");
                return;
            }
        }
        String query = ctx.req().getQueryString();
        if (query != null && query.length() > config.maxQueryLength()) {
            reject(ctx, 414, ErrorCode.M_TOO_LARGE, "the query string has " + query.length() + " characters; at most "
                    + config.maxQueryLength() + " are accepted");
        }
    }

    private static void unauthorized(Context ctx, ErrorCode errcode, String message) {
        ctx.header("WWW-Authenticate", "Bearer realm=\"synrep\"");
        reject(ctx, 401, errcode, message);
    }

    /** Answers with a JSON error and skips the routes. */
    private static void reject(Context ctx, int status, ErrorCode errcode, String message) {
        ctx.status(status).contentType("application/json").result(ErrorAnswer.json(errcode, message));
        ctx.skipRemainingHandlers();
    }

    /**
     * Binds {@code config}'s address once and lets it go, so that a start can fail before it touches anything else
     * (a second relay on the same port). Port 0 is always bindable.
     *
     * @throws IOException why the address cannot be bound
     */
    public static void checkBindable(HttpConfig config) throws IOException {
        if (config.port() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(config.host(), config.port()));
        }
    }

    /**
     * The warning to log when {@code config} listens beyond this machine without a secret (anyone who can reach it
     * may read every replicated row), or empty.
     */
    public static Optional<String> exposureWarning(HttpConfig config, String what) {
        if (config.auth() != null || loopback(config.host())) {
            return Optional.empty();
        }
        return Optional.of(what + " listens on " + config.host() + " without an auth secret: anyone who can reach"
                + " this address can read it. Set SYNREP_AUTH_SECRET (or --auth-secret-file), or listen on 127.0.0.1");
    }

    private static boolean loopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}

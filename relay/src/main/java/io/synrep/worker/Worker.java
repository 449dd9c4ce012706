package io.synrep.worker;

import io.javalin.Javalin;
import io.synrep.client.ReplicationClient;
import io.synrep.client.TokenStore;
import io.synrep.client.synapse.CacheRegistry;
import io.synrep.client.synapse.SlavedStores;
import io.synrep.client.synapse.StoreException;
import io.synrep.config.HttpConfig;
import io.synrep.config.Secret;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running reader process: slaved stores over the shared database, a {@link ReplicationClient} of the relay
 * feeding their invalidations, and the read API ({@link WorkerApi}). Started in that order — stores first, so that
 * no row is handled before its caches exist — and stopped in reverse: HTTP first, so that no request sees a
 * half-stopped worker, then the client, then the pool. Logs a progress line every 10 s. Thread-safe.
 */
public final class Worker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    /**
     * What a worker needs. {@code from} is the start token when {@code tokens} holds none ({@code now}, {@code -1}
     * or a position); {@code cacheSize} bounds every cache; {@code pollTimeout} is how long the relay may hold a
     * poll, hence how stale the reported position may be on an idle stream (never the data).
     */
    public record Settings(URI relay, String pgUrl, String host, int port, String name, TokenStore tokens,
                           String from, long cacheSize, int poolSize, Duration pollTimeout, String relaySecret,
                           HttpClient relayClient, Secret apiAuth, Path apiTlsCert, Path apiTlsKey) {
        public Settings {
            Objects.requireNonNull(relay, "relay");
            Objects.requireNonNull(pgUrl, "pgUrl");
            Objects.requireNonNull(tokens, "tokens");
        }

        /** No secrets, plain HTTP, the default client. */
        public Settings(URI relay, String pgUrl, String host, int port, String name, TokenStore tokens, String from,
                        long cacheSize, int poolSize, Duration pollTimeout) {
            this(relay, pgUrl, host, port, name, tokens, from, cacheSize, poolSize, pollTimeout, null, null, null,
                    null, null);
        }

        /** The read API's listener: address, secret, TLS; limits at their defaults. */
        HttpConfig api() {
            return HttpConfig.defaults().withListen(host, port).withAuth(apiAuth).withTls(apiTlsCert, apiTlsKey);
        }

        @Override
        public String toString() {
            return "Settings[relay=" + relay + ", name=" + name + ", listen=" + host + ":" + port + ", relaySecret="
                    + (relaySecret == null ? "none" : "***") + ", apiAuth=" + (apiAuth == null ? "none" : "***")
                    + ", apiTls=" + (apiTlsCert != null) + "]";
        }
    }

    private final String name;
    private final SlavedStores stores;
    private final ReplicationClient client;
    private final Javalin http;
    private final ScheduledExecutorService ticker;
    private long lastRows;
    private long lastNanos = System.nanoTime();
    private boolean closed;

    private Worker(String name, SlavedStores stores, ReplicationClient client, Javalin http,
                   ScheduledExecutorService ticker) {
        this.name = name;
        this.stores = stores;
        this.client = client;
        this.http = http;
        this.ticker = ticker;
    }

    /**
     * Starts a worker; failing to reach the database, to read saved tokens or to listen is a
     * {@link StartupException} whose message names the fix.
     */
    public static Worker start(Settings s) {
        LOG.info("worker {}: relay {}, database {}, listen {}:{}, tokens {}, from {}, cache size {}, pool {}",
                s.name(), s.relay(), s.pgUrl().replaceAll("(?i)(password=)[^&]*", "$1***"), s.host(), s.port(),
                s.tokens().getClass().getSimpleName(), s.from(), s.cacheSize(), s.poolSize());
        SlavedStores stores;
        try {
            stores = SlavedStores.open(s.pgUrl(), new Properties(), s.poolSize(), s.cacheSize());
        } catch (StoreException e) {
            throw new StartupException(e.getMessage());
        }
        LOG.info("worker {}: the database holds the {} schema; following {}", s.name(), stores.schema(),
                stores.streams());
        ReplicationClient client;
        try {
            ReplicationClient.Builder b = stores.attach(ReplicationClient.builder(s.relay())).tokenStore(s.tokens())
                    .from(s.from()).pollTimeout(s.pollTimeout()).bearerSecret(s.relaySecret());
            RowTrace.attachIfAsked(b, stores.streams());
            if (s.relayClient() != null) {
                b.httpClient(s.relayClient());
            }
            client = b.build().start();
        } catch (RuntimeException e) {
            stores.close();
            throw new StartupException("cannot start reading: " + rootMessage(e));
        }
        Javalin http;
        try {
            http = WorkerApi.create(client, stores, s.api());
        } catch (IllegalArgumentException e) {
            client.close();
            stores.close();
            throw new StartupException(e.getMessage());
        }
        try {
            http.start();
        } catch (RuntimeException e) {
            client.close();
            stores.close();
            throw new StartupException("cannot listen on " + s.host() + ":" + s.port() + ": "
                    + rootMessage(e) + " (is the port in use? choose another with --listen)");
        }
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "synrep-worker-ticker");
            t.setDaemon(true);
            return t;
        });
        Worker w = new Worker(s.name(), stores, client, http, ticker);
        ticker.scheduleAtFixedRate(w::progress, 10, 10, TimeUnit.SECONDS);
        LOG.info("worker {} serving {}://{}:{}/", s.name(), s.apiTlsCert() == null ? "http" : "https", s.host(),
                http.port());
        return w;
    }

    public int port() {
        return http.port();
    }

    public ReplicationClient client() {
        return client;
    }

    public SlavedStores stores() {
        return stores;
    }

    private synchronized void progress() {
        long now = System.nanoTime();
        long rows = client.rowsHandled();
        double perSecond = (rows - lastRows) / Math.max(0.001, (now - lastNanos) / 1e9);
        lastRows = rows;
        lastNanos = now;
        long hits = 0;
        long loads = 0;
        long discarded = 0;
        for (CacheRegistry.Stats c : stores.caches().stats()) {
            hits += c.hits();
            loads += c.loads();
            discarded += c.discardedLoads();
        }
        String error = client.lastError();
        LOG.info("worker {}: {} rows/s, position {}, caches {} hits / {} loads ({} not cached: raced an"
                        + " invalidation), resyncs {}, errors {}{}{}", name, String.format("%.1f", perSecond),
                client.position(), hits, loads, discarded, client.resyncs(), client.errors(),
                error == null ? "" : " (last: " + error + ")", client.missingStreams().isEmpty() ? ""
                        : "; the relay (catalog " + client.catalog() + ") does not serve " + client.missingStreams()
                        + ": reads that depend on them answer 503");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ticker.shutdownNow();
        http.stop();
        client.close();
        stores.close();
    }

    /** The worker cannot start; the message says why and what to change. */
    public static final class StartupException extends RuntimeException {
        StartupException(String message) {
            super(message);
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}

package io.synrep.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.protocol.Backoff;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.ErrorCode;
import io.synrep.protocol.PollAnswer;
import io.synrep.protocol.Position;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A reader of a Synrep relay: long-polls {@code GET /_synapse/replication} with a token per stream, hands each
 * response's rows to the stream handlers in position order, then saves the new tokens to its {@link TokenStore}.
 *
 * <p>Guarantees: handlers see every row of the streams they follow once, in position order across streams, as long
 * as the relay can serve the saved tokens; when it cannot (410: the reader fell behind retention, or the WAL history
 * changed epoch) the resync hook runs first (drop caches) and reading continues from the oldest retained position.
 * A handler that throws stops the response from being acknowledged: the same rows are delivered again after a
 * backoff, so handlers must be idempotent (cache invalidations are). {@link #position()} only grows within an epoch
 * and is published after the handlers ran, so a caller that sees position P knows every row at or below P was
 * handled.
 *
 * <p>Streams the relay does not serve: before its first poll, and again after any failed request (the relay may have
 * restarted with another catalog, or refused a poll naming a stream it does not have), the reader asks
 * {@code GET /_synapse/replication/catalog} which streams the relay serves, and polls only the followed streams it
 * serves; the others are {@link #missingStreams()}, never polled and never retried for ever (a stream a poll was
 * refused for is treated as missing too, until the relay could not be reached). {@link #position()} and the saved
 * tokens cover the polled streams. When a missing stream is served again (the relay restarted with it), the
 * resync hook runs first, since that stream's rows in between were never seen, and the stream is polled from
 * {@link #position()} on. A relay without the catalog endpoint (404) is taken to serve every followed stream.
 *
 * <p>Errors (connection refused, 5xx, 503 with {@code Retry-After}) are retried with exponential backoff and jitter
 * ({@link Backoff}, ±50 %). So are refusals (a wrong secret, a malformed request), which are also reported to
 * {@link Builder#onRefused}: the relay's configuration may change, but a command-line reader may prefer to stop.
 * Thread-safe; one background thread per client; {@link #close()} stops it.
 */
public final class ReplicationClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplicationClient.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI relay;
    private final Map<String, Consumer<Row>> handlers;
    private final TokenStore store;
    private final Runnable onResync;
    private final Consumer<Set<String>> onMissing;
    private final Consumer<String> onResyncReason;
    private final Consumer<Refusal> onRefused;
    private final ServedStreams served;
    private final String from;
    private final int limit;
    private final Duration pollTimeout;
    private final Backoff backoff;
    private final HttpClient http;
    private final String authorization;
    private final Clock clock;
    private final Thread thread;
    private final Object positionLock = new Object();
    private final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong polls = new AtomicLong();
    private volatile boolean running = true;
    private volatile Tokens tokens;
    private volatile String lastError;
    private volatile Set<String> missing = Set.of();
    private volatile String catalog;
    private volatile boolean following;
    /** Reader thread only: ask the relay's catalog before the next poll. */
    private boolean needCatalog = true;

    private ReplicationClient(Builder b) {
        this.relay = b.relay;
        this.handlers = Collections.unmodifiableMap(new LinkedHashMap<>(b.handlers));
        this.store = b.store;
        this.onResync = b.onResync;
        this.onMissing = b.onMissing;
        this.onResyncReason = b.onResyncReason;
        this.onRefused = b.onRefused;
        this.served = new ServedStreams(handlers.keySet());
        this.from = b.from;
        this.limit = b.limit;
        this.pollTimeout = b.pollTimeout;
        this.backoff = new Backoff(b.firstBackoff.toMillis(), b.maxBackoff.toMillis(), 0.5, b.jitter);
        this.http = b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.authorization = b.bearerSecret == null ? null : Endpoint.bearer(b.bearerSecret);
        this.clock = b.clock;
        this.thread = new Thread(this::loop, "synrep-reader");
        this.thread.setDaemon(true);
    }

    /** A builder for a client of the relay at {@code relay} (e.g. {@code http://127.0.0.1:9099}). */
    public static Builder builder(URI relay) {
        return new Builder(relay);
    }

    /** Loads the saved tokens (or starts every stream at the builder's {@code from}) and starts polling. */
    public ReplicationClient start() {
        Tokens saved = store.load().orElse(null);
        Map<String, String> t = new LinkedHashMap<>();
        for (String s : handlers.keySet()) {
            String token = saved == null ? null : saved.byStream().get(s);
            t.put(s, token != null ? token : from);
        }
        tokens = new Tokens(saved == null ? null : saved.epoch(), t);
        thread.start();
        return this;
    }

    /** The position every followed stream has been handled up to, or -1 before the first response. */
    public long position() {
        return tokens.position();
    }

    /** The epoch of the WAL history being read, or null before the first response. */
    public String epoch() {
        return tokens.epoch();
    }

    public Tokens tokens() {
        return tokens;
    }

    /** How many times the reader had to resync (410 or a new epoch). */
    public long resyncs() {
        return resyncs.get();
    }

    public long errors() {
        return errors.get();
    }

    public long rowsHandled() {
        return rows.get();
    }

    /** The last error, or null. */
    public String lastError() {
        return lastError;
    }

    /** Poll responses handled since {@link #start()}: 0 until the reader has followed the relay once. */
    public long polls() {
        return polls.get();
    }

    /**
     * Whether the reader is following the relay: it knows the relay's catalog and its last request was answered (a
     * poll, or a resync the relay asked for). False before the first answer and from any failure until the next
     * answer.
     */
    public boolean following() {
        return following;
    }

    /**
     * The followed streams (those with a handler) that the relay does not serve, in the order they were followed;
     * empty until the relay's catalog is known. Their handlers see no rows.
     */
    public Set<String> missingStreams() {
        return missing;
    }

    /**
     * The name of the relay's catalog ({@code synapse-seed}, {@code synapse-current}, a file name, {@code custom});
     * {@code unknown} for a relay without the catalog endpoint; null until the relay answered.
     */
    public String catalog() {
        return catalog;
    }

    /**
     * Waits until {@link #position()} is at least {@code target}; false once {@code timeout} has passed by the
     * client's {@link Clock} (re-checked whenever the position moves, and when that much real time has passed).
     */
    public boolean awaitPosition(long target, Duration timeout) throws InterruptedException {
        long deadline = clock.nanoTime() + timeout.toNanos();
        synchronized (positionLock) {
            while (position() < target) {
                long left = deadline - clock.nanoTime();
                if (left <= 0) {
                    return false;
                }
                positionLock.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /**
     * A request the relay refused with a status that retrying alone does not fix (a 4xx other than those the reader
     * handles: 410, 429, 400 {@code M_POSITION_AHEAD}, a stream it does not serve, a catalog endpoint it lacks).
     *
     * @param errcode the answer's errcode, or null when it had none
     * @param message what the reader says about it, including the status and the relay's error
     */
    public record Refusal(int status, String errcode, String message) {}

    private void loop() {
        while (running) {
            try {
                if (needCatalog) {
                    refreshCatalog();
                }
                Duration wait = pollOnce();
                if (wait == null) {
                    backoff.reset();
                    continue;
                }
                sleep(wait);
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (IOException | RuntimeException | AssertionError | StackOverflowError e) {
                // a handler's failure (an assertion in a test, a bug) must not end the reader silently: count it,
                // back off, and deliver the same rows again
                if (!running) {
                    return;
                }
                following = false;
                // after any failure the relay may have restarted with another catalog: ask again before polling
                needCatalog = true;
                if (e instanceof IOException) {
                    served.relayMayHaveChanged();
                }
                errors.incrementAndGet();
                lastError = e.toString();
                if (e instanceof RefusedException r) {
                    onRefused.accept(r.refusal);
                }
                long wait = backoff.nextDelayMillis();
                LOG.log(Level.FINE, "reader error, retrying in " + wait + " ms", e);
                try {
                    sleep(Duration.ofMillis(wait));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** A refused request: an {@link IllegalStateException} as before, carrying what {@link Builder#onRefused} gets. */
    static final class RefusedException extends IllegalStateException {
        final transient Refusal refusal;

        RefusedException(Refusal refusal) {
            super(refusal.message());
            this.refusal = refusal;
        }
    }

    private void sleep(Duration d) throws InterruptedException {
        if (!d.isZero()) {
            clock.sleep(d);
        }
    }

    /**
     * The time a client reads and waits by: its waits between failed requests (the backoff, a relay's
     * {@code Retry-After}) and the deadline of {@link #awaitPosition}. Not {@link java.time.Clock}, because the client
     * also <em>waits</em> by it: a test's clock can let a 30-second wait pass at once and record it. The relay's
     * long-poll timeout and the HTTP client's own timeouts run on the relay and the HTTP client, not here.
     * Implementations are thread-safe; the default is {@link #system()}.
     */
    public interface Clock {
        /** A monotonic reading in nanoseconds, as {@link System#nanoTime()}: only differences mean anything. */
        long nanoTime();

        /** Returns once {@code d} (positive) has passed by this clock; interruptible. */
        void sleep(Duration d) throws InterruptedException;

        /** {@link System#nanoTime()} and {@link Thread#sleep}. */
        static Clock system() {
            return SYSTEM_CLOCK;
        }
    }

    private static final Clock SYSTEM_CLOCK = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            Thread.sleep(d.toMillis());
        }

        @Override
        public String toString() {
            return "system clock";
        }
    };

    /**
     * Asks the relay which streams it serves and polls from now on the followed ones it serves. A stream served
     * again runs the resync hook before it is polled (its rows in between were never seen) and before its store
     * learns it is served again; it starts at {@link #position()}.
     */
    private void refreshCatalog() throws IOException, InterruptedException {
        ServedStreams.Catalog answer;
        try {
            answer = ServedStreams.fetch(http, relay, authorization);
        } catch (ServedStreams.Refused e) {
            onRefused.accept(e.refusal);
            throw e;
        }
        served.learn(answer);
        catalog = answer.name() != null ? answer.name() : answer.streams() == null ? "unknown" : "custom";
        Set<String> polled = served.polled();
        Set<String> missingNow = served.missing();
        if (polled.isEmpty()) {
            changeMissing(missingNow);
            throw new IllegalStateException("the relay (catalog " + catalog + ") serves none of the followed streams "
                    + served.handled());
        }
        needCatalog = false;
        Tokens current = tokens;
        ServedStreams.Next next = served.next(current, from);
        if (!next.back().isEmpty()) {
            LOG.warning("the relay serves " + next.back() + " again: dropping caches, following them from "
                    + current.position());
            onResync.run();
        }
        changeMissing(missingNow);
        if (!next.tokens().equals(current.byStream())) {
            publish(new Tokens(current.epoch(), next.tokens()));
        }
    }

    private void changeMissing(Set<String> now) {
        if (!now.equals(missing)) {
            if (!now.isEmpty()) {
                LOG.warning("the relay (catalog " + catalog + ") does not serve " + now
                        + ": their handlers see no rows");
            }
            missing = now;
            onMissing.accept(now);
        }
    }

    /** One request; returns null to poll again at once, or how long to wait first. */
    private Duration pollOnce() throws IOException, InterruptedException {
        Tokens current = tokens;
        String path = Endpoint.pollPath(current.byStream(), pollTimeout.toMillis(), limit, current.epoch());
        HttpRequest.Builder request = HttpRequest.newBuilder(relay.resolve(path))
                .timeout(pollTimeout.plusSeconds(10)).GET();
        if (authorization != null) {
            request.header(Endpoint.AUTHORIZATION_HEADER, authorization);
        }
        HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        String epoch = r.headers().firstValue(Endpoint.EPOCH_HEADER).orElse(null);
        int status = r.statusCode();
        if (status == 200) {
            answered(); // before the position is published: a caller seeing it also sees the reader following
            handle(current, epoch, JSON.readTree(r.body()));
            return null;
        }
        JsonNode body = parseOrNull(r.body());
        String errcode = body == null ? null : body.path(ErrorAnswer.ERRCODE).asText(null);
        String error = body == null ? null : body.path(ErrorAnswer.ERROR).asText(null);
        if (status == ErrorCode.M_POSITION_TOO_OLD.status()) {
            answered();
            resync(epoch, body == null ? null : body.path(ErrorAnswer.EARLIEST), error != null ? error : "HTTP " + status);
            return null;
        }
        if (status == ErrorCode.M_POSITION_AHEAD.status() && ErrorCode.M_POSITION_AHEAD.is(errcode)) {
            // the relay's writer has not written our position: a restored or different database
            answered();
            resync(epoch, null, "tokens are ahead of the relay's writer");
            return null;
        }
        String unknown = status == 400 ? ErrorAnswer.unknownStreamIn(errcode, error) : null;
        if (unknown != null) {
            // the relay changed under us, or its catalog and its poll disagree: not polled again, whatever its
            // catalog says, until the relay could not be reached (the loop asks for the catalog before polling)
            served.refused(unknown);
            throw new IllegalStateException("relay does not serve stream " + unknown
                    + " (HTTP 400 M_INVALID_PARAM); asking for its catalog again");
        }
        if (status == 503 || status >= 500 || status == 429) {
            String what = "HTTP " + status + (errcode == null ? "" : " " + errcode);
            long retry = r.headers().firstValueAsLong(Endpoint.RETRY_AFTER_HEADER).orElse(0);
            if (retry <= 0) {
                throw new IOException("relay answered " + what); // the loop counts it and backs off exponentially
            }
            errors.incrementAndGet();
            lastError = what;
            following = false;
            return Duration.ofSeconds(Math.min(retry, 60));
        }
        throw new RefusedException(new Refusal(status, errcode, "relay refused the request: HTTP " + status + " "
                + new String(r.body(), StandardCharsets.UTF_8)));
    }

    private void answered() {
        polls.incrementAndGet();
        following = true;
    }

    private void handle(Tokens sent, String epoch, JsonNode body) {
        if (sent.epoch() != null && epoch != null && !epoch.equals(sent.epoch())) {
            resync(epoch, null, "epoch changed from " + sent.epoch() + " to " + epoch);
            return;
        }
        // A stream cut short by the limit resumes below the others. Hand over rows only up to the lowest position
        // any stream reached, and hold every stream there, so that rows go out in position order across streams
        // from one response to the next as well; rows above it come again in the next response.
        Map<String, JsonNode> pages = new LinkedHashMap<>();
        long cutoff = Long.MAX_VALUE;
        for (Map.Entry<String, JsonNode> e : body.properties()) {
            if (sent.byStream().containsKey(e.getKey())) {
                JsonNode position = e.getValue().path(PollAnswer.POSITION);
                if (!position.isIntegralNumber()) {
                    throw new IllegalStateException("relay answered without a position for " + e.getKey());
                }
                pages.put(e.getKey(), e.getValue());
                cutoff = Math.min(cutoff, position.asLong());
            }
        }
        List<Row> batch = new ArrayList<>();
        Map<String, String> next = new LinkedHashMap<>(sent.byStream());
        for (Map.Entry<String, JsonNode> e : pages.entrySet()) {
            String stream = e.getKey();
            JsonNode s = e.getValue();
            List<String> names = new ArrayList<>();
            s.path(PollAnswer.FIELD_NAMES).forEach(n -> names.add(n.asText()));
            List<String> fields = List.copyOf(names);
            for (JsonNode values : s.path(PollAnswer.ROWS)) {
                long position = values.path(0).asLong();
                if (position <= cutoff) {
                    batch.add(new Row(stream, position, fields, RowJson.values(values)));
                }
            }
            String held = sent.byStream().get(stream);
            long reached = Math.min(s.path(PollAnswer.POSITION).asLong(), cutoff);
            if (held != null && !Position.isSymbolic(held)) {
                reached = Math.max(reached, Long.parseLong(held)); // never move a stream back
            }
            next.put(stream, Long.toString(reached));
        }
        // position order across streams; the sort is stable, so a stream's rows keep their order
        batch.sort(Comparator.comparingLong(Row::position));
        for (Row row : batch) {
            handlers.get(row.stream()).accept(row);
        }
        rows.addAndGet(batch.size());
        publish(new Tokens(epoch != null ? epoch : sent.epoch(), next));
    }

    /** @param why what made the reader resync, for the log and {@link Builder#onResyncReason} */
    private void resync(String epoch, JsonNode earliest, String why) {
        resyncs.incrementAndGet();
        String start = earliest != null && earliest.canConvertToLong() ? earliest.asText() : Position.OLDEST_TOKEN;
        LOG.warning("reader resync (epoch " + epoch + "): " + why + "; dropping caches, continuing from " + start);
        onResyncReason.accept(why + "; continuing from " + start);
        onResync.run();
        Map<String, String> next = new LinkedHashMap<>();
        for (String s : tokens.byStream().keySet()) {
            next.put(s, start);
        }
        needCatalog = true; // a new WAL history may be another relay's
        publish(new Tokens(epoch, next));
    }

    private void publish(Tokens t) {
        store.save(t);
        synchronized (positionLock) {
            tokens = t;
            positionLock.notifyAll();
        }
    }

    private static JsonNode parseOrNull(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Configures a {@link ReplicationClient}. */
    public static final class Builder {
        private final URI relay;
        private final Map<String, Consumer<Row>> handlers = new LinkedHashMap<>();
        private TokenStore store = TokenStore.inMemory();
        private Runnable onResync = () -> { };
        private Consumer<Set<String>> onMissing = missing -> { };
        private Consumer<String> onResyncReason = why -> { };
        private Consumer<Refusal> onRefused = refusal -> { };
        private String from = Position.NOW_TOKEN;
        private int limit = 1000;
        private Duration pollTimeout = Duration.ofSeconds(30);
        private Duration firstBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private HttpClient http;
        private String bearerSecret;
        private Clock clock = Clock.system();
        private DoubleSupplier jitter = () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble();

        private Builder(URI relay) {
            this.relay = Objects.requireNonNull(relay, "relay");
        }

        /** Follows {@code stream}, handing each of its rows to {@code handler}. */
        public Builder on(String stream, Consumer<Row> handler) {
            handlers.merge(stream, handler, Consumer::andThen);
            return this;
        }

        public Builder tokenStore(TokenStore s) {
            this.store = Objects.requireNonNull(s);
            return this;
        }

        /** Runs when the reader must drop what it derived from earlier rows (410, new epoch). */
        public Builder onResync(Runnable r) {
            this.onResync = Objects.requireNonNull(r);
            return this;
        }

        /**
         * Runs on the reader thread at each resync, just before the resync hook, with one line saying why and where
         * reading continues (ending {@code "; continuing from " + token}). For readers that report to a person.
         */
        public Builder onResyncReason(Consumer<String> hook) {
            this.onResyncReason = onResyncReason.andThen(Objects.requireNonNull(hook));
            return this;
        }

        /**
         * Runs on the reader thread when the relay refuses a request ({@link Refusal}), before the backoff wait; the
         * reader keeps retrying. A command-line reader may close the client instead.
         */
        public Builder onRefused(Consumer<Refusal> hook) {
            this.onRefused = onRefused.andThen(Objects.requireNonNull(hook));
            return this;
        }

        /**
         * Runs on the reader thread whenever {@link ReplicationClient#missingStreams()} changes, with its new value,
         * before the next poll; a stream served again has had the resync hook run first.
         */
        public Builder onMissingStreams(Consumer<Set<String>> hook) {
            this.onMissing = onMissing.andThen(Objects.requireNonNull(hook));
            return this;
        }

        /**
         * The token streams start at when nothing was saved: {@code now} (default), {@code -1}, a position or an LSN
         * ({@code X/Y}, kept as its position).
         *
         * @throws IllegalArgumentException when {@code token} is none of these
         */
        public Builder from(String token) {
            this.from = Position.canonicalToken(Objects.requireNonNull(token));
            return this;
        }

        public Builder limit(int rowsPerStream) {
            if (rowsPerStream < 1) {
                throw new IllegalArgumentException("limit must be >= 1");
            }
            this.limit = rowsPerStream;
            return this;
        }

        public Builder pollTimeout(Duration d) {
            this.pollTimeout = d;
            return this;
        }

        /** Waits between failed requests: {@code first}, doubling up to {@code max}, each ±50 %. */
        public Builder backoff(Duration first, Duration max) {
            if (first.isNegative() || max.compareTo(first) < 0) {
                throw new IllegalArgumentException("backoff needs 0 <= first <= max, was " + first + ", " + max);
            }
            this.firstBackoff = first;
            this.maxBackoff = max;
            return this;
        }

        /**
         * Sends {@code Authorization: Bearer <secret>} with every request, for a relay started with a secret
         * (null: none). A wrong or missing secret is a 401 the reader keeps retrying with backoff and reports in
         * {@link ReplicationClient#lastError()}.
         */
        public Builder bearerSecret(String secret) {
            if (secret != null && (secret.isBlank() || secret.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
                throw new IllegalArgumentException("the bearer secret must be visible ASCII characters");
            }
            this.bearerSecret = secret;
            return this;
        }

        /** The time the client reads and waits by (see {@link Clock}); {@link Clock#system()} by default. */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c);
            return this;
        }

        /**
         * For tests of the backoff: the random source of the jitter (values in [0, 1): each wait is the current
         * backoff times {@code 0.5 + jitter}).
         */
        Builder jitter(DoubleSupplier random) {
            this.jitter = Objects.requireNonNull(random);
            return this;
        }

        /** The HTTP client to use, e.g. one whose {@code sslContext} trusts the relay's certificate. */
        public Builder httpClient(HttpClient client) {
            this.http = client;
            return this;
        }

        public ReplicationClient build() {
            if (handlers.isEmpty()) {
                throw new IllegalStateException("follow at least one stream with on(stream, handler)");
            }
            return new ReplicationClient(this);
        }
    }
}

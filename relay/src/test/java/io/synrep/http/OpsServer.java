package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.OpsConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.protocol.RowEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A real {@link HttpApi} on port 0 over a real {@link StreamLog}, with relay figures the test sets. */
final class OpsServer implements AutoCloseable {
    static final String EPOCH = "7312345678901234567-synrep_ops_test";
    static final Map<String, List<String>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("events", List.of("stream_ordering", "event_id", "room_id", "type", "state_key", "redacts"));
        FIELDS.put("receipts", List.of("stream_id", "room_id", "receipt_type", "user_id", "event_id", "data"));
    }

    /** Relay state and capture figures as the test sets them. */
    static final class Relay implements RelayStatus, CaptureFigures {
        volatile boolean streaming = true;
        volatile long writer = Long.MAX_VALUE;
        volatile long lag = 0;
        volatile long walHeld = 4096;
        volatile long walUnconfirmed = 1024;
        volatile Map<String, String> states = Map.of();

        @Override
        public Map<String, String> streamStates() {
            return states;
        }

        @Override
        public boolean streaming() {
            return streaming;
        }

        @Override
        public String epoch() {
            return EPOCH;
        }

        @Override
        public OptionalLong writerPosition(long atLeast) {
            return OptionalLong.of(writer);
        }

        @Override
        public String describe() {
            return streaming ? "capture streaming" : "capture reconnecting: test";
        }

        @Override
        public long writerPosition() {
            return writer == Long.MAX_VALUE ? 123_456 : writer;
        }

        @Override
        public long captureLag() {
            return lag;
        }

        @Override
        public long walHeld() {
            return walHeld;
        }

        @Override
        public long walUnconfirmed() {
            return walUnconfirmed;
        }
    }

    final Relay relay = new Relay();
    final StreamLog log;
    final Javalin app;
    final String base;
    PollHandler poll;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final RowEncoder encoder = new RowEncoder();

    /** A server whose log starts at {@code start}, or is left unstarted when {@code start} is negative. */
    OpsServer(long start, HttpConfig http, RetentionConfig retention, OpsConfig ops) {
        log = new StreamLog(FIELDS.keySet(), retention, Clock.systemUTC());
        if (start >= 0) {
            log.start(start);
        }
        app = HttpApi.create(log, FIELDS, http, relay, relay, ops, p -> poll = p).start();
        base = "http://127.0.0.1:" + app.port();
    }

    OpsServer(long start) {
        this(start, HttpConfig.defaults().withListen("127.0.0.1", 0),
                new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1)), OpsConfig.defaults());
    }

    void appendEvents(long position, int rows) {
        List<byte[]> tails = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            tails.add(encoder.encodeTail(new Object[] {(long) i + 1, "$e" + position + "_" + i, "!r:hs",
                "m.room.message", null, null}));
        }
        assertTrue(log.append(new Transaction(position, Map.of("events", tails))));
    }

    void appendReceipt(long position) {
        byte[] tail = encoder.encodeTail(new Object[] {1L, "!r:hs", "m.read", "@u:hs", "$e", null});
        assertTrue(log.append(new Transaction(position, Map.of("receipts", List.of(tail)))));
    }

    HttpResponse<String> get(String pathAndQuery) {
        try {
            return client.send(request(pathAndQuery), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    CompletableFuture<HttpResponse<String>> getAsync(String pathAndQuery) {
        return client.sendAsync(request(pathAndQuery), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(60)).GET().build();
    }

    /** Waits (bounded) until {@code n} long-polls are parked. */
    void awaitParked(int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (poll.waiting() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " parked requests, have " + poll.waiting());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}

package io.synrep.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.client.synapse.SlavedStores;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.PollAnswer;
import io.synrep.protocol.Position;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The test's own reader of the relay: long-polls every stream the worker follows on a thread of its own and keeps
 * every row (stream, position, values). It tells the test at which position each logged write committed: the row
 * of a write is found by its stream and its column-1 id. On a 410 it records the event and, if allowed, continues
 * from {@code earliest} (the epoch test reads across a new WAL history); otherwise the 410 is a failure.
 */
final class WorkerTap implements AutoCloseable {
    /** The seed catalog's streams: what a worker over the seed schema follows ({@link SlavedStores#streams()}). */
    static final List<String> STREAMS = List.of("events", "backfill", "receipts", "presence", "user_account_data",
            "room_account_data", "tag_account_data", "push_rules", "pushers", "deleted_pushers", "caches", "to_device",
            "public_rooms", "device_lists");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One received row; {@code epoch} counts the WAL histories this tap has read (0 = the first). */
    record TapRow(String stream, long position, List<String> fields, JsonNode values, int epoch) {
        long id() {
            return values.path(1).asLong();
        }

        String text(String field) {
            int i = fields.indexOf(field);
            JsonNode n = i < 0 ? null : values.path(i);
            return n == null || n.isNull() || n.isMissingNode() ? null : n.asText();
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final String base;
    private final boolean followResyncs;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;
    // guarded by this
    private final Map<String, String> tokens = new LinkedHashMap<>();
    private final List<TapRow> rows = new ArrayList<>();
    private final Set<String> epochs = new LinkedHashSet<>();
    private String epoch;
    private int resyncs;
    /** The newest row received (for readers that chase fresh writes); older ones are overwritten. */
    private final java.util.concurrent.atomic.AtomicReference<TapRow> newest =
            new java.util.concurrent.atomic.AtomicReference<>();

    WorkerTap(String base, String from, boolean followResyncs) {
        this(base, from, followResyncs, STREAMS);
    }

    /** A reader of {@code streams} (those a worker over the relay's schema follows: {@link WorkerSchema#streams}). */
    WorkerTap(String base, String from, boolean followResyncs, List<String> streams) {
        this.base = base;
        this.followResyncs = followResyncs;
        for (String s : streams) {
            tokens.put(s, from);
        }
        thread = new Thread(this::run, "worker-it-tap");
        thread.setDaemon(true);
    }

    WorkerTap start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!stopped) {
            try {
                pollOnce();
            } catch (IOException e) {
                sleep(100); // relay restarting, or busy: try again
            } catch (Throwable t) {
                if (!stopped) {
                    failure.compareAndSet(null, t);
                }
                return;
            }
        }
    }

    private void pollOnce() throws IOException, InterruptedException {
        String q;
        synchronized (this) {
            q = base + Endpoint.pollPath(tokens, 500, 1000, null);
        }
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(q))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        String e = r.headers().firstValue(Endpoint.EPOCH_HEADER).orElse(null);
        if (r.statusCode() == 410) {
            JsonNode body = JSON.readTree(r.body());
            if (!followResyncs) {
                throw new AssertionError("the test's reader got 410: " + body);
            }
            synchronized (this) {
                resyncs++;
                String earliest = body.path(ErrorAnswer.EARLIEST).asText(Position.OLDEST_TOKEN);
                tokens.replaceAll((s, t) -> earliest);
                epoch = e;
                epochs.add(e);
                notifyAll();
            }
            return;
        }
        if (r.statusCode() == 503) {
            sleep(100);
            return;
        }
        if (r.statusCode() != 200) {
            throw new AssertionError("relay answered " + r.statusCode() + ": " + new String(r.body()));
        }
        JsonNode body = JSON.readTree(r.body());
        synchronized (this) {
            if (epoch != null && e != null && !e.equals(epoch)) {
                if (!followResyncs) {
                    throw new AssertionError("epoch changed from " + epoch + " to " + e);
                }
                // a new history answered our old tokens with 200: it cannot be, the relay must say 410
                throw new AssertionError("a 200 in a new epoch " + e + " for tokens of " + epoch);
            }
            if (e != null) {
                epoch = e;
                epochs.add(e);
            }
            for (Map.Entry<String, JsonNode> s : body.properties()) {
                String stream = s.getKey();
                if (!tokens.containsKey(stream)) {
                    continue;
                }
                List<String> names = new ArrayList<>();
                s.getValue().path(PollAnswer.FIELD_NAMES).forEach(n -> names.add(n.asText()));
                List<String> fields = List.copyOf(names);
                long token = tokenValue(tokens.get(stream));
                for (JsonNode row : s.getValue().path(PollAnswer.ROWS)) {
                    long p = row.path(0).asLong();
                    if (p <= token) {
                        throw new AssertionError(stream + ": row at " + p + " not after the token " + token);
                    }
                    TapRow received = new TapRow(stream, p, fields, row, epochs.size() - 1);
                    rows.add(received);
                    newest.set(received);
                }
                tokens.put(stream, s.getValue().path(PollAnswer.POSITION).asText());
            }
            notifyAll();
        }
    }

    private static long tokenValue(String t) {
        return t.equals("-1") || t.equals("now") ? Long.MIN_VALUE : Long.parseLong(t);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Commits a fence (one {@code device_lists} row) and returns its position, read from the relay: every
     * transaction committed before the fence is at or below it. (The writer's WAL insert position is no such bound:
     * WAL without commits after the last commit, e.g. autovacuum's, is no position the relay reaches by itself.)
     */
    static long fence(String relayBase, Connection db) throws IOException, InterruptedException, SQLException {
        String device = "fence" + System.nanoTime();
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO device_lists_stream (stream_id, user_id,"
                + " device_id) VALUES (nextval('device_lists_sequence'), '@fence:w.test', ?)")) {
            ps.setString(1, device);
            ps.executeUpdate();
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String token = Position.OLDEST_TOKEN;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(relayBase
                    + Endpoint.pollPath(Map.of("device_lists", token), 1000, 1000, null)))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() == 410) {
                token = body.path(ErrorAnswer.EARLIEST).asText(Position.OLDEST_TOKEN);
                continue;
            }
            if (r.statusCode() != 200) {
                Thread.sleep(100);
                continue;
            }
            JsonNode s = body.path("device_lists");
            // the column named device_id (field names start with the position): 3 in the seed catalog, 5 in current
            int column = 0;
            for (JsonNode n : s.path(PollAnswer.FIELD_NAMES)) {
                if (n.asText().equals("device_id")) {
                    break;
                }
                column++;
            }
            for (JsonNode row : s.path(PollAnswer.ROWS)) {
                if (device.equals(row.path(column).asText())) {
                    return row.path(0).asLong();
                }
            }
            if (s.has(PollAnswer.POSITION)) {
                token = s.path(PollAnswer.POSITION).asText();
            }
        }
        throw new AssertionError("the fence " + device + " did not reach the relay within 60 s");
    }

    /** The position every stream has reached, or -1 before the first response. */
    synchronized long position() {
        long min = Long.MAX_VALUE;
        for (String t : tokens.values()) {
            if (t.equals("-1") || t.equals("now")) {
                return -1;
            }
            min = Math.min(min, Long.parseLong(t));
        }
        return min;
    }

    /** Waits until {@link #position()} is at least {@code target}. */
    void awaitPosition(long target, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (this) {
            while (position() < target) {
                assertHealthy();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("the test's reader did not reach " + target + " (at " + position()
                            + ", " + rows.size() + " rows)");
                }
                wait(Math.max(1, Math.min(left / 1_000_000, 200)));
            }
        }
    }

    /** Takes the newest row received since the last call, or null. */
    TapRow takeNewest() {
        return newest.getAndSet(null);
    }

    synchronized List<TapRow> rows() {
        return List.copyOf(rows);
    }

    synchronized int resyncs() {
        return resyncs;
    }

    synchronized Set<String> epochs() {
        return new LinkedHashSet<>(epochs);
    }

    void assertHealthy() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("the test's reader failed", t);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join(10_000);
    }
}

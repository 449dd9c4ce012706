package io.synrep.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.PollAnswer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A reader that outlives the relay: it long-polls on its own thread, keeps its per-stream tokens across relay
 * crashes and restarts (connection refused or reset while the relay is down: retry after a short pause, against
 * whatever base URL it was last pointed at), and records every row it receives.
 *
 * <p>Every response is checked against the token contract as it arrives; the first violation stops the reader
 * and is reported by {@link #assertHealthy}:
 * <ul>
 *   <li>status 200 only: a 410 would mean a reader that kept its tokens was told it is too old, any other
 *       status (4xx, 5xx) is a relay fault;</li>
 *   <li>every row's position is above the token sent for its stream (nothing delivered twice), positions do not
 *       decrease within a response, and a stream's token never moves backwards;</li>
 *   <li>the {@code Synrep-Epoch} header is present and never changes (same database, same slot).</li>
 * </ul>
 *
 * <p>Each row is kept compactly as its position, its fields after the position (JSON, for comparison with the
 * database) and a transaction tag taken from one field per stream (the text before the first '.', without a
 * leading '$'), so that the test can check that each writer transaction arrived under exactly one position.
 *
 * <p>Thread-safe: the poll thread is the only writer; the accessors take a snapshot under the reader's lock.
 */
final class KeepingReader implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String EPOCH_HEADER = Endpoint.EPOCH_HEADER;
    private static final long RETRY_PAUSE_MS = 100;

    /** One received row. */
    record Received(long position, String tag, String fields) {}

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, String> tagFields;
    private final int limit;
    private final long timeoutMs;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile String base;
    private volatile boolean stopped;

    // guarded by this
    private final Map<String, String> tokens = new LinkedHashMap<>();
    private final Map<String, List<Received>> rows = new LinkedHashMap<>();
    private final Map<String, Set<String>> tags = new HashMap<>();
    private String epoch;
    private int responses;
    private int retries;

    /**
     * @param tagFields stream name → the field whose text carries the transaction tag; these are the streams read
     * @param from      the first token of every stream ({@code -1}, {@code now} or a position)
     */
    KeepingReader(Map<String, String> tagFields, String from, int limit, long timeoutMs) {
        this.tagFields = Map.copyOf(tagFields);
        this.limit = limit;
        this.timeoutMs = timeoutMs;
        for (String stream : tagFields.keySet()) {
            tokens.put(stream, from);
            rows.put(stream, new ArrayList<>());
            tags.put(stream, new HashSet<>());
        }
        this.thread = new Thread(this::run, "keeping-reader");
        this.thread.setDaemon(true);
    }

    /** Starts polling; {@link #pointAt} must have named a relay first. */
    void start() {
        if (base == null) {
            throw new IllegalStateException("point the reader at a relay first");
        }
        thread.start();
    }

    /** Sends the next requests to this relay (the first, or a restarted one); the tokens are kept. */
    void pointAt(String newBase) {
        this.base = newBase;
    }

    private void run() {
        try {
            while (!stopped) {
                Map<String, String> sent;
                synchronized (this) {
                    sent = new LinkedHashMap<>(tokens);
                }
                HttpResponse<byte[]> r;
                try {
                    r = http.send(request(base, sent), HttpResponse.BodyHandlers.ofByteArray());
                } catch (IOException e) {
                    // relay down (killed, restarting) or the connection cut mid-response: nothing was recorded,
                    // the same tokens are sent again
                    synchronized (this) {
                        retries++;
                    }
                    Thread.sleep(RETRY_PAUSE_MS);
                    continue;
                }
                accept(sent, r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    private HttpRequest request(String at, Map<String, String> sent) {
        String q = at + Endpoint.pollPath(sent, timeoutMs, limit, null);
        return HttpRequest.newBuilder(URI.create(q)).timeout(Duration.ofMillis(timeoutMs + 30_000)).build();
    }

    /** Checks one response against the tokens it was asked with, then records its rows and new tokens. */
    private void accept(Map<String, String> sent, HttpResponse<byte[]> r) throws IOException {
        String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
        if (r.statusCode() == 410) {
            throw new AssertionError("410 for a reader that kept its tokens " + sent + ": " + body);
        }
        if (r.statusCode() != 200) {
            throw new AssertionError("HTTP " + r.statusCode() + " for tokens " + sent + ": " + body);
        }
        String responseEpoch = r.headers().firstValue(EPOCH_HEADER)
                .orElseThrow(() -> new AssertionError("response without " + EPOCH_HEADER));
        JsonNode json = JSON.readTree(r.body());
        Map<String, List<Received>> got = new LinkedHashMap<>();
        Map<String, String> resume = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String stream = e.getKey();
            if (!sent.containsKey(stream)) {
                throw new AssertionError("stream " + stream + " was not asked for: " + sent);
            }
            // -1 and now have no numeric lower bound; after the first answer every token is a position
            Long token = numeric(sent.get(stream));
            int tagIndex = fieldIndex(e.getValue().get(PollAnswer.FIELD_NAMES), tagFields.get(stream));
            List<Received> received = new ArrayList<>();
            long last = Long.MIN_VALUE;
            for (JsonNode row : e.getValue().get(PollAnswer.ROWS)) {
                long p = row.get(0).asLong();
                if (token != null && p <= token) {
                    throw new AssertionError(stream + ": row at position " + p + " re-delivered to a reader at token "
                            + token + ": " + row);
                }
                if (p < last) {
                    throw new AssertionError(stream + ": position " + p + " after " + last + " within one response");
                }
                last = p;
                List<JsonNode> fields = new ArrayList<>();
                row.forEach(fields::add);
                received.add(new Received(p, tag(row.get(tagIndex).asText()),
                        JSON.writeValueAsString(fields.subList(1, fields.size()))));
            }
            long position = e.getValue().get(PollAnswer.POSITION).asLong();
            if (token != null && position < token) {
                throw new AssertionError(stream + ": token moved backwards from " + token + " to " + position);
            }
            if (position < last) {
                throw new AssertionError(stream + ": resume position " + position + " below its last row " + last);
            }
            got.put(stream, received);
            resume.put(stream, Long.toString(position));
        }
        synchronized (this) {
            if (epoch == null) {
                epoch = responseEpoch;
            } else if (!epoch.equals(responseEpoch)) {
                throw new AssertionError("epoch changed from " + epoch + " to " + responseEpoch
                        + " though the database and slot are the same");
            }
            got.forEach((stream, received) -> {
                rows.get(stream).addAll(received);
                received.forEach(x -> tags.get(stream).add(x.tag()));
            });
            tokens.putAll(resume);
            responses++;
        }
    }

    private static Long numeric(String token) {
        return token.equals("-1") || token.equals("now") ? null : Long.valueOf(token);
    }

    private static int fieldIndex(JsonNode names, String field) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).asText().equals(field)) {
                return i;
            }
        }
        throw new AssertionError("no field " + field + " in " + names);
    }

    /** {@code $w1t7.3} → {@code w1t7}. */
    static String tag(String text) {
        String t = text.startsWith("$") ? text.substring(1) : text;
        int dot = t.indexOf('.');
        return dot < 0 ? t : t.substring(0, dot);
    }

    /** Throws the first contract violation the reader met, if any. */
    void assertHealthy() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("reader failed: " + t.getMessage(), t);
        }
    }

    synchronized boolean hasTag(String stream, String tag) {
        return tags.get(stream).contains(tag);
    }

    synchronized List<Received> rows(String stream) {
        return new ArrayList<>(rows.get(stream));
    }

    synchronized long totalRows() {
        return rows.values().stream().mapToLong(List::size).sum();
    }

    /** The {@code Synrep-Epoch} every response carried, or null before the first response. */
    synchronized String epoch() {
        return epoch;
    }

    synchronized Map<String, String> tokens() {
        return new LinkedHashMap<>(tokens);
    }

    synchronized int responses() {
        return responses;
    }

    synchronized int retries() {
        return retries;
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join(10_000);
    }
}

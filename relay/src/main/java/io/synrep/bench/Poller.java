package io.synrep.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.PollAnswer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Long-poll requests to a relay for the benchmark's readers: one HTTP/1.1 client (a connection per request in
 * flight), bodies parsed with a streaming parser into the resume position and the rows' stream ids.
 */
final class Poller implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();
    private final ExecutorService executor;
    private final HttpClient[] clients;
    private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    private final String base;

    Poller(String base, int threads) {
        this(base, threads, 1);
    }

    /**
     * @param clients HTTP clients to spread requests over: each has one selector thread for all its connections,
     *                which becomes the readers' bottleneck with hundreds of connections
     */
    Poller(String base, int threads, int clients) {
        this.base = base;
        this.executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bench-reader");
            t.setDaemon(true);
            return t;
        });
        this.clients = new HttpClient[clients];
        for (int i = 0; i < clients; i++) {
            this.clients[i] = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                    .connectTimeout(Duration.ofSeconds(30)).build();
        }
    }

    /** A parsed page of one stream: where to resume, and the stream id (column 1) of each row. */
    record Reply(int status, long receivedNanos, long position, int rows, long[] streamIds, int bytes) {}

    /** Rows of one stream ({@code device_lists} or another whose column 1 is a number). */
    CompletableFuture<Reply> poll(String stream, String token, long timeoutMillis, int limit, boolean wantIds) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base
                        + Endpoint.pollPath(Map.of(stream, token), timeoutMillis, limit, null)))
                .timeout(Duration.ofMillis(timeoutMillis + 120_000)).GET().build();
        HttpClient http = clients[Math.floorMod(next.getAndIncrement(), clients.length)];
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> parse(r.statusCode(), System.nanoTime(), r.body(), stream, wantIds));
    }

    static Reply parse(int status, long receivedNanos, byte[] body, String stream, boolean wantIds) {
        if (status != 200) {
            throw new IllegalStateException("relay answered " + status + ": "
                    + new String(body, 0, Math.min(body.length, 300), java.nio.charset.StandardCharsets.UTF_8));
        }
        long position = -1;
        int rows = 0;
        long[] ids = new long[wantIds ? 16 : 0];
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalStateException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (!name.equals(stream)) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken t = p.nextToken();
                    if (field.equals(PollAnswer.POSITION)) {
                        position = p.getLongValue();
                    } else if (field.equals(PollAnswer.ROWS) && t == JsonToken.START_ARRAY) {
                        while (p.nextToken() == JsonToken.START_ARRAY) {
                            p.nextToken(); // position column
                            p.nextToken(); // stream_id
                            if (wantIds) {
                                if (rows == ids.length) {
                                    ids = java.util.Arrays.copyOf(ids, rows * 2);
                                }
                                ids[rows] = p.getLongValue();
                            }
                            rows++;
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Reply(status, receivedNanos, position, rows, wantIds ? java.util.Arrays.copyOf(ids, rows) : ids,
                body.length);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}

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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test reader over real HTTP: keeps a token per stream and collects every row it receives, checking on the
 * way that positions never go backwards within a stream.
 */
public final class Poller {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    final Map<String, String> tokens = new LinkedHashMap<>();
    final Map<String, List<JsonNode>> rows = new LinkedHashMap<>();
    final Map<String, List<String>> fieldNames = new LinkedHashMap<>();
    int responses;

    public Poller(String base, List<String> streams, String from) {
        this.base = base;
        for (String s : streams) {
            tokens.put(s, from);
            rows.put(s, new ArrayList<>());
        }
    }

    /** A reader with this one's tokens and rows that polls another relay (the same relay restarted, a replica). */
    public Poller movedTo(String otherBase) {
        Poller p = new Poller(otherBase, List.of(), "now");
        p.tokens.putAll(tokens);
        rows.forEach((k, v) -> p.rows.put(k, new ArrayList<>(v)));
        p.fieldNames.putAll(fieldNames);
        return p;
    }

    /** One request; returns the HTTP status. Rows and tokens are updated on 200. */
    public int poll(int limit, long timeoutMs) throws IOException, InterruptedException {
        String q = base + Endpoint.pollPath(tokens, timeoutMs, limit, null);
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(q))
                .timeout(Duration.ofMillis(timeoutMs + 60_000)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            return r.statusCode();
        }
        responses++;
        JsonNode body = JSON.readTree(r.body());
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String stream = e.getKey();
            JsonNode s = e.getValue();
            List<String> names = new ArrayList<>();
            s.get(PollAnswer.FIELD_NAMES).forEach(n -> names.add(n.asText()));
            fieldNames.put(stream, names);
            long last = rows.get(stream).isEmpty() ? Long.MIN_VALUE : rows.get(stream).get(rows.get(stream).size() - 1).get(0).asLong();
            for (JsonNode row : s.get(PollAnswer.ROWS)) {
                long p = row.get(0).asLong();
                if (p < last) {
                    throw new AssertionError(stream + ": position went backwards: " + p + " after " + last);
                }
                last = p;
                rows.get(stream).add(row);
            }
            long resume = s.get(PollAnswer.POSITION).asLong();
            if (!s.get(PollAnswer.ROWS).isEmpty() && resume < last) {
                throw new AssertionError(stream + ": resume position " + resume + " below last row " + last);
            }
            tokens.put(stream, Long.toString(resume));
        }
        return 200;
    }

    /** Polls until {@code done} holds or the deadline passes. */
    public void pollUntil(java.util.function.BooleanSupplier done, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; received " + counts());
            }
            int status = poll(1000, 1000);
            if (status != 200) {
                throw new AssertionError("HTTP " + status);
            }
        }
    }

    public List<JsonNode> rows(String stream) {
        return rows.get(stream);
    }

    public Map<String, Integer> counts() {
        Map<String, Integer> c = new LinkedHashMap<>();
        rows.forEach((k, v) -> c.put(k, v.size()));
        return c;
    }

    public String token(String stream) {
        return tokens.get(stream);
    }
}

package io.synrep.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of the streams a reader follows its relay serves, from {@code GET /_synapse/replication/catalog}, and from
 * polls the relay refused for naming a stream it does not have (the fallback for a relay that has no catalog
 * endpoint, or whose catalog disagrees with its poll). The reader polls {@link #polled()}; {@link #missing()} is
 * the rest of what it follows.
 *
 * <p>Not thread-safe: the reader thread owns it; what others read is published by {@link ReplicationClient}.
 */
final class ServedStreams {
    static final String PATH = "/_synapse/replication/catalog";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNKNOWN_STREAM = "unknown stream '";

    /** A catalog answer: its name and stream names; both null when the relay has no catalog endpoint. */
    record Catalog(String name, Set<String> streams) {}

    private final Set<String> handled;
    /** The relay's streams, or null while unknown (not asked yet, or a relay without the endpoint). */
    private Set<String> served;
    private String name;
    /** Streams a poll was refused for; forgotten when the relay may have changed (see {@link #relayMayHaveChanged}). */
    private final Set<String> refused = new LinkedHashSet<>();

    ServedStreams(Set<String> handled) {
        this.handled = Collections.unmodifiableSet(new LinkedHashSet<>(handled));
    }

    /** Asks the relay; IOException for an answer other than 200 or 404 (a relay older than the endpoint). */
    static Catalog fetch(HttpClient http, URI relay, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(relay.resolve(PATH)).timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 404) {
            return new Catalog(null, null);
        }
        if (r.statusCode() != 200) {
            throw new IOException("relay refused the catalog request: HTTP " + r.statusCode() + " "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        JsonNode body = JSON.readTree(r.body());
        JsonNode streams = body == null ? null : body.get("streams");
        if (streams == null || !streams.isArray()) {
            throw new IOException("relay answered the catalog request without a streams array");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode s : streams) {
            names.add(s.path("name").asText());
        }
        return new Catalog(body.path("catalog").asText(null), Collections.unmodifiableSet(names));
    }

    /** Takes a catalog answer in. */
    void learn(Catalog catalog) {
        served = catalog.streams();
        name = catalog.name();
    }

    /**
     * The stream a 400 {@code M_INVALID_PARAM} names as unknown to the relay, or null when {@code error} is another
     * refusal.
     */
    static String unknownStream(String errcode, String error) {
        if (!"M_INVALID_PARAM".equals(errcode) || error == null || !error.startsWith(UNKNOWN_STREAM)) {
            return null;
        }
        int end = error.indexOf('\'', UNKNOWN_STREAM.length());
        return end < 0 ? null : error.substring(UNKNOWN_STREAM.length(), end);
    }

    /**
     * The relay refused a poll naming {@code stream}: it is not polled again until the relay may have changed, even
     * if a catalog lists it, so that a relay whose catalog and poll disagree cannot make the reader retry for ever.
     */
    void refused(String stream) {
        if (handled.contains(stream)) {
            refused.add(stream);
        }
    }

    /** The relay could not be reached: it may come back as another relay, with other streams. */
    void relayMayHaveChanged() {
        refused.clear();
    }

    /** The followed streams to poll: served (or not known to be unserved) and not refused. */
    Set<String> polled() {
        Set<String> out = new LinkedHashSet<>();
        for (String s : handled) {
            if ((served == null || served.contains(s)) && !refused.contains(s)) {
                out.add(s);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** The tokens to poll with, and the streams among them that are served again (they had no token). */
    record Next(Map<String, String> tokens, Set<String> back) {}

    /**
     * The tokens to poll {@link #polled()} with, from {@code current}: a stream's own token, and for a stream served
     * again (no token: it was missing) the position every polled stream has reached, or {@code from} while that is
     * unknown. Starting there keeps rows in position order across streams; what that stream committed before is
     * never delivered, which is why the reader runs its resync hook first.
     */
    Next next(Tokens current, String from) {
        long at = current.position();
        Map<String, String> tokens = new LinkedHashMap<>();
        Set<String> back = new LinkedHashSet<>();
        for (String s : polled()) {
            String token = current.byStream().get(s);
            if (token == null) {
                back.add(s);
                token = at >= 0 ? Long.toString(at) : from;
            }
            tokens.put(s, token);
        }
        return new Next(tokens, Collections.unmodifiableSet(back));
    }

    /** The followed streams not polled, in the order they were followed. */
    Set<String> missing() {
        Set<String> out = new LinkedHashSet<>(handled);
        out.removeAll(polled());
        return Collections.unmodifiableSet(out);
    }

    /** The catalog's name, or null when the relay did not tell. */
    String name() {
        return name;
    }

    /** What the reader follows, for messages. */
    List<String> handled() {
        return List.copyOf(handled);
    }
}

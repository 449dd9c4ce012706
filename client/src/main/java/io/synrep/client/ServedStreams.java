package io.synrep.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.protocol.CatalogAnswer;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
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
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** A catalog request the relay refused with a 4xx (other than 404 and 429). */
    static final class Refused extends IOException {
        final transient ReplicationClient.Refusal refusal;

        Refused(ReplicationClient.Refusal refusal) {
            super(refusal.message());
            this.refusal = refusal;
        }
    }

    /**
     * Asks the relay; IOException for an answer other than 200 or 404 (a relay older than the endpoint), {@link
     * Refused} when that is a refusal.
     */
    static Catalog fetch(HttpClient http, URI relay, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(relay.resolve(Endpoint.CATALOG_PATH))
                .timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            request.header(Endpoint.AUTHORIZATION_HEADER, authorization);
        }
        HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        int status = r.statusCode();
        if (status == 404) {
            return new Catalog(null, null);
        }
        if (status != 200) {
            String message = "relay refused the catalog request: HTTP " + status + " "
                    + new String(r.body(), StandardCharsets.UTF_8);
            if (status >= 400 && status < 500 && status != 429) {
                JsonNode body = parseOrNull(r.body());
                String errcode = body == null ? null : body.path(ErrorAnswer.ERRCODE).asText(null);
                throw new Refused(new ReplicationClient.Refusal(status, errcode, message));
            }
            throw new IOException(message);
        }
        JsonNode body = JSON.readTree(r.body());
        JsonNode streams = body == null ? null : body.get(CatalogAnswer.STREAMS);
        if (streams == null || !streams.isArray()) {
            throw new IOException("relay answered the catalog request without a streams array");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode s : streams) {
            names.add(s.path(CatalogAnswer.NAME).asText());
        }
        return new Catalog(body.path(CatalogAnswer.CATALOG).asText(null), Collections.unmodifiableSet(names));
    }

    private static JsonNode parseOrNull(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** Takes a catalog answer in. */
    void learn(Catalog catalog) {
        served = catalog.streams();
        name = catalog.name();
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

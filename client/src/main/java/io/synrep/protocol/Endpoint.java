package io.synrep.protocol;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The relay's replication endpoints as a reader addresses them: paths, query parameters and headers.
 *
 * <p>A poll is {@code GET /_synapse/replication?timeout=T&limit=L&STREAM=TOKEN...&epoch=E}: one parameter per stream
 * with its token (see {@link Position}), optionally {@code streams=-1} for the meta stream, and the epoch the tokens
 * belong to. Every answer carries the current epoch in {@value #EPOCH_HEADER}. Stateless and thread-safe.
 */
public final class Endpoint {
    /** The long-poll endpoint. */
    public static final String PATH = "/_synapse/replication";
    /** Which streams the relay serves, with their field names: {@link CatalogAnswer}. */
    public static final String CATALOG_PATH = PATH + "/catalog";

    /** Response header: the WAL history the positions belong to; a reader sends it back as {@value #EPOCH}. */
    public static final String EPOCH_HEADER = "Synrep-Epoch";
    /** Response header on a 503: seconds to wait before asking again. */
    public static final String RETRY_AFTER_HEADER = "Retry-After";
    /** Request header carrying {@link #bearer(String)}. */
    public static final String AUTHORIZATION_HEADER = "Authorization";
    /** The scheme of {@value #AUTHORIZATION_HEADER}, with its trailing space. */
    public static final String BEARER = "Bearer ";

    /** Query parameter: how long to hold a request without rows, in milliseconds. */
    public static final String TIMEOUT = "timeout";
    /** Query parameter: most rows per stream in one answer. */
    public static final String LIMIT = "limit";
    /** Query parameter: the epoch the reader's tokens belong to. */
    public static final String EPOCH = "epoch";
    /**
     * Query parameter {@code streams=-1} asks for the meta stream, whose rows are {@code [name, position]}; the
     * answer holds it under the same key. No catalog stream may take this name.
     */
    public static final String META_STREAM = "streams";

    private Endpoint() {}

    /**
     * The path and query of a poll, parameters in the order {@code timeout}, {@code limit}, the streams in
     * {@code tokens}' order (the answer keeps it), then {@code epoch} when not null; names and values URL-encoded.
     */
    public static String pollPath(Map<String, String> tokens, long timeoutMillis, int limit, String epoch) {
        StringBuilder q = new StringBuilder(PATH).append('?').append(TIMEOUT).append('=').append(timeoutMillis)
                .append('&').append(LIMIT).append('=').append(limit);
        tokens.forEach((s, t) -> q.append('&').append(encode(s)).append('=').append(encode(t)));
        if (epoch != null) {
            q.append('&').append(EPOCH).append('=').append(encode(epoch));
        }
        return q.toString();
    }

    /** The path and query asking at once for the meta stream alone: the names of the streams the relay serves. */
    public static String metaStreamPath() {
        return PATH + '?' + META_STREAM + '=' + Position.OLDEST_TOKEN + '&' + TIMEOUT + "=0";
    }

    /** The {@value #AUTHORIZATION_HEADER} value for {@code secret}. */
    public static String bearer(String secret) {
        return BEARER + secret;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

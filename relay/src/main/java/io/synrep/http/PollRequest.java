package io.synrep.http;

import io.synrep.config.HttpConfig;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.Position;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed and validated {@code GET /_synapse/replication}: tokens per stream (unresolved: may be
 * {@link Position#OLDEST} or {@link Position#NOW}), timeout, limit, whether the meta stream is wanted, and the epoch
 * the reader's tokens belong to (null when it did not say).
 */
record PollRequest(Map<String, Long> tokens, long timeoutMillis, int limit, boolean metaStream, String epoch) {
    static PollRequest parse(Map<String, List<String>> query, Set<String> streams, HttpConfig config) {
        Map<String, Long> tokens = new LinkedHashMap<>();
        long timeout = config.defaultTimeout();
        int limit = config.defaultLimit();
        boolean meta = false;
        String epoch = null;
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            String key = e.getKey();
            List<String> values = e.getValue();
            if (values.size() != 1) {
                throw ApiError.invalid("parameter '" + shorten(key) + "' is given " + values.size() + " times; give it once");
            }
            String value = values.get(0);
            switch (key) {
                case Endpoint.TIMEOUT -> timeout = Math.min(parseNonNegative(key, value), config.maxTimeout());
                case Endpoint.LIMIT -> {
                    long l = parseNonNegative(key, value);
                    if (l < 1) {
                        throw ApiError.invalid("limit must be >= 1, was " + l);
                    }
                    limit = (int) Math.min(l, config.maxLimit());
                }
                case Endpoint.META_STREAM -> {
                    if (!value.equals(Position.OLDEST_TOKEN)) {
                        throw ApiError.invalid("streams must be -1 (return the meta stream), was '" + shorten(value) + "'");
                    }
                    meta = true;
                }
                case Endpoint.EPOCH -> {
                    if (value.isEmpty() || value.length() > 200) {
                        throw ApiError.invalid("epoch must be the " + Endpoint.EPOCH_HEADER + " value a response carried");
                    }
                    epoch = value;
                }
                default -> {
                    if (!streams.contains(key)) {
                        throw ApiError.invalid(ErrorAnswer.unknownStream(key, streams));
                    }
                    try {
                        tokens.put(key, Position.parseToken(value));
                    } catch (IllegalArgumentException ex) {
                        throw ApiError.invalid("bad token for stream " + key + ": " + ex.getMessage());
                    }
                }
            }
        }
        if (tokens.isEmpty() && !meta) {
            throw ApiError.invalid("name at least one stream with its token, e.g. ?events=-1; known streams: " + streams);
        }
        return new PollRequest(tokens, timeout, limit, meta, epoch);
    }

    private static long parseNonNegative(String key, String value) {
        long v;
        try {
            v = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw ApiError.invalid(key + " must be a non-negative integer, was '" + shorten(value) + "'");
        }
        if (v < 0) {
            throw ApiError.invalid(key + " must be a non-negative integer, was " + v);
        }
        return v;
    }

    static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}

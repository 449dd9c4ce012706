package io.synrep.client;

import io.synrep.protocol.Position;
import java.util.Map;

/**
 * What a reader has processed: a token per stream (a position, or {@code -1}/{@code now} before the first response)
 * and the epoch of the WAL history they belong to (null before the first response).
 */
public record Tokens(String epoch, Map<String, String> byStream) {
    public Tokens {
        byStream = Map.copyOf(byStream);
    }

    /**
     * The position every stream has reached: the smallest concrete token, or -1 while any stream still holds a
     * symbolic token.
     */
    public long position() {
        long min = Long.MAX_VALUE;
        for (String t : byStream.values()) {
            if (Position.isSymbolic(t)) {
                return -1;
            }
            min = Math.min(min, Long.parseLong(t));
        }
        return byStream.isEmpty() ? -1 : min;
    }
}

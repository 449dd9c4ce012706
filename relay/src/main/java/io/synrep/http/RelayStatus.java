package io.synrep.http;

import java.util.Map;
import java.util.OptionalLong;

/** What the HTTP layer needs to know about the relay beyond its log. Implementations are thread-safe. */
public interface RelayStatus {
    /** Whether capture is streaming from the slot. */
    boolean streaming();

    /** Identifier of the WAL history being served: changes when readers must resync. */
    String epoch();

    /**
     * The writer's WAL position, for telling a token that is merely ahead of the relay (wait) from one ahead of
     * anything written (error). Implementations may answer from a cache only when the cached value is at least
     * {@code atLeast}; otherwise they must ask the writer. Empty when the writer cannot be asked right now.
     */
    OptionalLong writerPosition(long atLeast);

    /** A short human-readable state for the health endpoint. */
    String describe();

    /**
     * Each stream's state, in catalog order: {@code "ok"}, or {@code "error: ..."} saying what the writer's schema
     * lacks (a dropped table, a dropped or renamed column, a table outside the publication), what that does to the
     * stream's rows, and the fix. Empty when not known.
     */
    default Map<String, String> streamStates() {
        return Map.of();
    }
}

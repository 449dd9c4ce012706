package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import io.synrep.config.StateConfig;
import java.util.Optional;

/**
 * Durable storage of the one {@link RelayState} a relay keeps. A save replaces the previous state atomically: after
 * a crash at any instant, {@link #load()} returns either the old or the new state, whole.
 *
 * <p>Implementations are thread-safe.
 */
public interface StateStore {
    /** The saved state, or empty when none was ever saved. */
    Optional<RelayState> load();

    void save(RelayState state);

    /** Where the state lives, for logs. */
    String describe();

    /** The store {@code state} names: a file in its data directory, or a table in the writer's database. */
    static StateStore open(StateConfig state, CaptureConfig capture) {
        return state.store() == StateConfig.Store.FILE
                ? new FileStateStore(state.dataDir()) : new TableStateStore(capture);
    }

    /** The store cannot read or write; the message names the place and the fix. */
    final class StateStoreException extends RuntimeException {
        StateStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

package io.synrep.capture;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's current {@link RelayState} and the store it is saved to. Debezium's offset store
 * ({@link StateOffsetStore}, created by Debezium through reflection) finds its keeper through a process-wide
 * registry by id; the offsets it flushes are saved together with the log's horizon at that instant.
 *
 * <p>Why saving the current horizon with older offsets is safe: offsets are only marked once every row at or below
 * their position has been evicted, and the horizon only grows by eviction, so the saved horizon is never below the
 * last evicted row the offsets cover. See {@code CaptureConsumer}.
 *
 * <p>Thread-safe.
 */
public final class StateKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StateKeeper.class);
    private static final Map<String, StateKeeper> REGISTRY = new ConcurrentHashMap<>();

    private final String id = UUID.randomUUID().toString();
    private final StateStore store;
    private volatile LongSupplier horizon;
    private RelayState current;

    public StateKeeper(StateStore store, RelayState initial, LongSupplier horizon) {
        this.store = store;
        this.current = initial;
        this.horizon = horizon;
        REGISTRY.put(id, this);
    }

    static StateKeeper lookup(String id) {
        StateKeeper k = id == null ? null : REGISTRY.get(id);
        if (k == null) {
            throw new IllegalStateException("no relay state registered as '" + id + "'");
        }
        return k;
    }

    String id() {
        return id;
    }

    public synchronized RelayState current() {
        return current;
    }

    public StateStore store() {
        return store;
    }

    /** Replaces the whole state (a new epoch or a replay start) and saves it before returning. */
    public synchronized void replace(RelayState state) {
        store.save(state);
        current = state;
        generation++;
    }

    /** How many times the state was replaced: offsets read before a replacement belong to another history. */
    private long generation;

    synchronized long generation() {
        return generation;
    }

    /**
     * Saves Debezium's flushed offsets with the current horizon, unless they were read before the state was replaced:
     * an engine of the previous WAL history that flushes late (while it stops) must not put its positions into the
     * new history, where they would make the next engine skip the new slot's changes while it looks for them.
     *
     * @param generation the {@link #generation()} when the engine's offsets were loaded
     * @return whether they were saved
     */
    synchronized boolean saveOffsets(Map<String, String> offsets, long generation) {
        if (generation != this.generation) {
            LOG.debug("offsets of a replaced history ignored: {}", offsets);
            return false;
        }
        saveOffsets(offsets);
        return true;
    }

    /** Saves Debezium's flushed offsets with the current horizon. */
    synchronized void saveOffsets(Map<String, String> offsets) {
        RelayState next = current.with(horizon.getAsLong(), offsets);
        store.save(next);
        current = next;
        LOG.debug("state saved: resume after {}, horizon {}", next.resumePosition(), next.horizon());
    }

    synchronized Map<String, String> offsets() {
        return current.offsets();
    }

    /** The offsets and the generation they belong to, read together. */
    synchronized Map.Entry<Long, Map<String, String>> offsetsWithGeneration() {
        return Map.entry(generation, current.offsets());
    }

    @Override
    public void close() {
        REGISTRY.remove(id);
    }
}

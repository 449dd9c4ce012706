package io.synrep.capture;

import io.synrep.streams.Catalog;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each stream's state as of the last comparison of the writer's schema with the catalog: {@link SchemaGaps#OK}, or
 * {@code "error: ..."} (see {@link SchemaGaps#streamStates}). Every stream starts {@code ok}: the relay only starts
 * when nothing is missing. A stream that changes state is logged once, at WARN into an error, at INFO back to ok.
 *
 * <p>Thread-safe: one thread updates, any thread reads an immutable snapshot.
 */
public final class StreamStates {
    private static final Logger LOG = LoggerFactory.getLogger(StreamStates.class);

    private final Catalog catalog;
    private final String publication;
    private volatile Map<String, String> current;

    public StreamStates(Catalog catalog, String publication) {
        this.catalog = catalog;
        this.publication = publication;
        this.current = new SchemaGaps(List.of(), List.of(), List.of()).streamStates(catalog, publication);
    }

    /** Each stream's state in catalog order; an immutable snapshot. */
    public Map<String, String> current() {
        return current;
    }

    /**
     * Takes the states from a fresh comparison.
     *
     * @return the streams whose state changed, with their new state, in catalog order
     */
    public synchronized Map<String, String> update(SchemaGaps gaps) {
        Map<String, String> next = gaps.streamStates(catalog, publication);
        Map<String, String> changed = new LinkedHashMap<>();
        next.forEach((stream, state) -> {
            if (!state.equals(current.get(stream))) {
                changed.put(stream, state);
                if (state.equals(SchemaGaps.OK)) {
                    LOG.info("stream {}: ok again", stream);
                } else {
                    LOG.warn("stream {}: {}", stream, state);
                }
            }
        });
        current = java.util.Collections.unmodifiableMap(next);
        return changed;
    }
}

package io.synrep.client.synapse;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * "Has this entity changed since position P?" for one kind of entity (room, user, device), as Synapse's
 * {@code StreamChangeCache}: it remembers the last position at which each entity changed, for at most
 * {@code capacity} entities. When it forgets the oldest changes its {@linkplain #earliest() earliest known
 * position} rises, and questions about positions before that are answered conservatively: "yes, it may have".
 *
 * <p>Thread-safe (synchronized; calls are short).
 */
public final class StreamChangeCache {
    private final String name;
    private final int capacity;
    private final Map<String, Long> lastChange = new HashMap<>();
    private final TreeMap<Long, java.util.Set<String>> byPosition = new TreeMap<>();
    private long earliest;

    /** @param start the position from which this cache has seen every change */
    public StreamChangeCache(String name, long start, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1");
        }
        this.name = name;
        this.capacity = capacity;
        this.earliest = start;
    }

    public String name() {
        return name;
    }

    /** Records that {@code entity} changed at {@code position}. */
    public synchronized void entityChanged(String entity, long position) {
        if (position <= earliest) {
            return;
        }
        Long previous = lastChange.get(entity);
        if (previous != null) {
            if (previous >= position) {
                return;
            }
            java.util.Set<String> at = byPosition.get(previous);
            at.remove(entity);
            if (at.isEmpty()) {
                byPosition.remove(previous);
            }
        }
        lastChange.put(entity, position);
        byPosition.computeIfAbsent(position, p -> new java.util.HashSet<>()).add(entity);
        while (lastChange.size() > capacity) {
            Map.Entry<Long, java.util.Set<String>> oldest = byPosition.pollFirstEntry();
            for (String e : oldest.getValue()) {
                lastChange.remove(e);
            }
            earliest = oldest.getKey();
        }
    }

    /**
     * Whether {@code entity} may have changed after {@code position}: true when it did, or when {@code position} is
     * older than what this cache knows about.
     */
    public synchronized boolean hasEntityChanged(String entity, long position) {
        if (position < earliest) {
            return true;
        }
        Long last = lastChange.get(entity);
        return last != null && last > position;
    }

    /** Forgets everything: every question about positions before {@code position} is answered "yes". */
    public synchronized void reset(long position) {
        lastChange.clear();
        byPosition.clear();
        earliest = position;
    }

    /** The position from which this cache has complete knowledge. */
    public synchronized long earliest() {
        return earliest;
    }
}

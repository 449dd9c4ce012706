package io.synrep.client.synapse;

import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every {@link ReaderCache} of a reader by name, so that the {@code caches} stream (Synapse's
 * {@code cache_invalidation_stream}: {@code stream_id, cache_func, keys, invalidation_ts}) can invalidate any of
 * them, as Synapse's workers did for the writer's explicit invalidations.
 *
 * <p><b>Key convention.</b> A row's {@code keys} (a text array) names one entry: one key is the entry's key
 * itself, a {@code String}; several keys are a {@code List<String>} of them in order (so a cache of a
 * two-argument function is keyed by {@code List.of(a, b)}; {@code List.equals} makes any list implementation
 * match); an empty array is {@code List.of()}, the key of a cache with a single entry. {@code keys = null}
 * (or a null element) invalidates the whole cache. A row naming a cache nobody registered is counted and ignored:
 * the writer invalidates caches this reader does not have. Keys of the wrong shape (a list for a cache keyed by
 * strings) match no entry.
 *
 * <p>Thread-safe. Every invalidation goes through the named {@link ReaderCache}, so a load racing it is not cached.
 */
public final class CacheRegistry {
    /** One cache's counters. */
    public record Stats(String name, long size, long hits, long loads, long discardedLoads) {}

    private final Map<String, ReaderCache<?, ?>> byName = new ConcurrentHashMap<>();
    private final AtomicLong unknown = new AtomicLong();

    /** Adds {@code cache} under its {@linkplain ReaderCache#name() name}, which must not be taken; returns it. */
    public <K, V> ReaderCache<K, V> register(ReaderCache<K, V> cache) {
        if (byName.putIfAbsent(cache.name(), cache) != null) {
            throw new IllegalArgumentException("a cache named " + cache.name() + " is already registered");
        }
        return cache;
    }

    public Optional<ReaderCache<?, ?>> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The entry key a row's {@code keys} value stands for (see the class comment): {@code keys} is a {@link List} (a
     * JSON array, as {@link Row#get} gives it) of keys, each taken as its text; a single value is one key. Null,
     * meaning the whole cache, for a null {@code keys} or a list with a null element (no entry can be named by it).
     */
    public static Object key(Object keys) {
        if (keys == null) {
            return null;
        }
        if (!(keys instanceof List<?> list)) {
            return keys.toString();
        }
        List<String> parts = new ArrayList<>(list.size());
        for (Object k : list) {
            if (k == null) {
                return null;
            }
            parts.add(k.toString());
        }
        return parts.size() == 1 ? parts.get(0) : List.copyOf(parts);
    }

    /** Invalidates the entry {@code keys} names ({@link #key}) in the cache {@code name}; null keys: all of it. */
    public void invalidate(String name, Object keys) {
        ReaderCache<?, ?> cache = name == null ? null : byName.get(name);
        if (cache == null) {
            unknown.incrementAndGet();
            return;
        }
        Object key = key(keys);
        if (key == null) {
            cache.invalidateAll();
        } else {
            invalidateKey(cache, key);
        }
    }

    /** Handles a row of the {@code caches} stream. */
    void onCacheRow(Row row) {
        invalidate(row.text("cache_func"), row.get("keys"));
    }

    /** Drops every registered cache (resync). */
    public void invalidateAll() {
        byName.values().forEach(ReaderCache::invalidateAll);
    }

    /** Rows of the caches stream that named no registered cache. */
    public long unknownInvalidations() {
        return unknown.get();
    }

    public Collection<ReaderCache<?, ?>> caches() {
        return List.copyOf(byName.values());
    }

    /** Each cache's counters, by name. */
    public List<Stats> stats() {
        Map<String, Stats> sorted = new TreeMap<>();
        byName.values().forEach(c -> sorted.put(c.name(),
                new Stats(c.name(), c.size(), c.hits(), c.loads(), c.discardedLoads())));
        return List.copyOf(sorted.values());
    }

    @SuppressWarnings("unchecked")
    private static void invalidateKey(ReaderCache<?, ?> cache, Object key) {
        // a key of the wrong type simply matches no entry: the map lookup is by equals
        ((ReaderCache<Object, ?>) cache).invalidate(key);
    }
}

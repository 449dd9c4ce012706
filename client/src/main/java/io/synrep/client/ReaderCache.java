package io.synrep.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * A Caffeine cache of database reads that stream rows invalidate, safe against the load/invalidate race.
 *
 * <p>The race: a load reads the database, an invalidation for the same key arrives (the writer committed a change),
 * then the load finishes. Caffeine leaves invalidation during an in-flight load undefined, and a plain
 * {@code get(key, loader)} would cache the value read before the change, stale for ever. Here every key maps to one
 * of {@value #STRIPES} invalidation counters; a load notes its counter (and the cache's generation) before it reads
 * and stores its value only if neither moved, checked and stored atomically with the key's invalidation (both run
 * in Caffeine's per-key {@code compute}; {@link #invalidateAll()} is not per-key, so it excludes stores while it
 * bumps the generation and sweeps). A load that raced an invalidation still returns its value to its own
 * caller, whose request began before the change was processed, but never caches it. A counter shared by two keys
 * only costs a skipped store.
 *
 * <p>Hence the promise: once the reader has handled the rows up to position P, every value this cache returns was
 * read after P's invalidations, so it reflects every commit at or before P. Thread-safe.
 *
 * @param <K> key type
 * @param <V> value type (use {@code Optional} to cache absence)
 */
public final class ReaderCache<K, V> {
    static final int STRIPES = 1024;

    private final String name;
    private final Cache<K, V> cache;
    private final AtomicLongArray invalidations = new AtomicLongArray(STRIPES);
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong loads = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final LongAdder hits = new LongAdder(); // an adder: the hit path is the hot one
    // invalidateAll sweeps a snapshot of the entries, which misses a store that passed its generation check but is
    // not yet visible: stores share this lock, invalidateAll takes it exclusively (only misses pay for it)
    private final ReadWriteLock storeLock = new ReentrantReadWriteLock();

    public ReaderCache(String name, long maximumSize) {
        this.name = Objects.requireNonNull(name);
        this.cache = Caffeine.newBuilder().maximumSize(maximumSize).build();
    }

    /** The name the {@code caches} stream uses for this cache (Synapse's cache function name). */
    public String name() {
        return name;
    }

    /** The cached value of {@code key}, else {@code loader}'s, which is cached unless an invalidation raced it. */
    public V get(K key, Function<? super K, ? extends V> loader) {
        V hit = cache.getIfPresent(key);
        if (hit != null) {
            hits.increment();
            return hit;
        }
        int stripe = stripe(key);
        long seen = invalidations.get(stripe);
        long gen = generation.get();
        V loaded = loader.apply(key);
        loads.incrementAndGet();
        if (loaded == null) {
            return null;
        }
        storeLock.readLock().lock();
        try {
            cache.asMap().compute(key, (k, old) -> {
                if (invalidations.get(stripe) == seen && generation.get() == gen) {
                    return loaded;
                }
                discarded.incrementAndGet();
                return old;
            });
        } finally {
            storeLock.readLock().unlock();
        }
        return loaded;
    }

    /** Drops {@code key}; a load of it in flight will not be cached. */
    public void invalidate(K key) {
        cache.asMap().compute(key, (k, old) -> {
            invalidations.incrementAndGet(stripe(k));
            return null;
        });
    }

    /** Drops everything; loads in flight will not be cached. */
    public void invalidateAll() {
        storeLock.writeLock().lock();
        try {
            generation.incrementAndGet();
            cache.invalidateAll();
        } finally {
            storeLock.writeLock().unlock();
        }
    }

    /** The value cached for {@code key}, without loading; for tests and diagnostics. */
    public V peek(K key) {
        return cache.getIfPresent(key);
    }

    public long size() {
        return cache.estimatedSize();
    }

    /** Reads answered from the cache without a load. */
    public long hits() {
        return hits.sum();
    }

    /** Loads performed, and how many of them raced an invalidation and were not cached. */
    public long loads() {
        return loads.get();
    }

    public long discardedLoads() {
        return discarded.get();
    }

    private static int stripe(Object key) {
        int h = key.hashCode();
        h ^= h >>> 16;
        return h & (STRIPES - 1);
    }
}

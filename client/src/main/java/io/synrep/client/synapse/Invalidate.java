package io.synrep.client.synapse;

import io.synrep.client.ReaderCache;
import java.util.List;

/**
 * Invalidation from stream row fields. A row whose key field is null cannot say which entry it changed, so the
 * whole cache goes: dropping too much costs loads, dropping too little would serve stale data.
 */
final class Invalidate {
    private Invalidate() {}

    static <K> void key(ReaderCache<K, ?> cache, K key) {
        if (key == null) {
            cache.invalidateAll();
        } else {
            cache.invalidate(key);
        }
    }

    /** The entry keyed by both values ({@link CacheRegistry}'s convention for a two-argument cache). */
    static void pair(ReaderCache<List<String>, ?> cache, String first, String second) {
        if (first == null || second == null) {
            cache.invalidateAll();
        } else {
            cache.invalidate(List.of(first, second));
        }
    }
}

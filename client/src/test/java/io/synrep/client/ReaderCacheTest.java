package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The load/invalidate race of {@link ReaderCache}, staged step by step with latches (no sleeps), plus stress tests
 * whose invariant is exact: a get that begins after an invalidation returned never answers older than the version
 * the writer had committed before invalidating.
 */
class ReaderCacheTest {
    private static final long WAIT_SECONDS = 10;

    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "reader-cache-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** A loader that reads the "database", then blocks until released: the load is in flight in between. */
    private static final class BlockedLoad implements Function<Integer, Integer> {
        final CountDownLatch read = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final AtomicInteger db;

        BlockedLoad(AtomicInteger db) {
            this.db = db;
        }

        @Override
        public Integer apply(Integer key) {
            int value = db.get();
            read.countDown();
            try {
                if (!release.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("load never released");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return value;
        }
    }

    /** Starts {@code cache.get(key, load)} on another thread and returns once the load has read the database. */
    private Future<Integer> loadInFlight(ReaderCache<Integer, Integer> cache, int key, BlockedLoad load)
            throws InterruptedException {
        Future<Integer> f = pool.submit(() -> cache.get(key, load));
        assertTrue(load.read.await(WAIT_SECONDS, TimeUnit.SECONDS), "load started");
        return f;
    }

    private static Integer get(Future<Integer> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void loadThatRacedAnInvalidationIsReturnedButNotCached() throws Exception {
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("get_event", 100);
        AtomicInteger db = new AtomicInteger(1);
        BlockedLoad stale = new BlockedLoad(db);
        Future<Integer> caller = loadInFlight(cache, 7, stale);

        db.set(2); // the writer commits ...
        cache.invalidate(7); // ... and the reader handles the row that says so
        stale.release.countDown();

        assertEquals(1, get(caller), "the caller that began before the change gets what it read");
        assertNull(cache.peek(7), "the value read before the invalidation is not cached");
        assertEquals(1, cache.discardedLoads());
        AtomicInteger loads = new AtomicInteger();
        assertEquals(2, cache.get(7, k -> {
            loads.incrementAndGet();
            return db.get();
        }), "the next get loads again");
        assertEquals(1, loads.get());
        assertEquals(2, cache.peek(7), "a load that did not race is cached");
        assertEquals(2, cache.get(7, k -> {
            throw new AssertionError("must be a hit");
        }));
        assertEquals(2, cache.loads());
        assertEquals(1, cache.discardedLoads());
    }

    @Test
    void loadThatRacedInvalidateAllIsReturnedButNotCached() throws Exception {
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("get_event", 100);
        AtomicInteger db = new AtomicInteger(1);
        cache.get(8, k -> 100); // something cached beforehand, dropped by invalidateAll too
        BlockedLoad stale = new BlockedLoad(db);
        Future<Integer> caller = loadInFlight(cache, 7, stale);

        db.set(2);
        cache.invalidateAll();
        stale.release.countDown();

        assertEquals(1, get(caller));
        assertNull(cache.peek(7));
        assertNull(cache.peek(8));
        assertEquals(1, cache.discardedLoads());
        assertEquals(2, cache.get(7, k -> db.get()));
        assertEquals(2, cache.peek(7));
    }

    @Test
    void loadThatDidNotRaceIsCached() {
        ReaderCache<String, String> cache = new ReaderCache<>("get_user", 100);
        AtomicInteger loads = new AtomicInteger();
        Function<String, String> loader = k -> {
            loads.incrementAndGet();
            return k.toUpperCase();
        };
        assertEquals("A", cache.get("a", loader));
        assertEquals("A", cache.peek("a"));
        assertEquals("A", cache.get("a", loader));
        assertEquals(1, loads.get());
        assertEquals(1, cache.loads());
        assertEquals(0, cache.discardedLoads());

        cache.invalidate("a");
        assertNull(cache.peek("a"));
        assertEquals("A", cache.get("a", loader));
        assertEquals(2, loads.get());
        assertEquals(0, cache.discardedLoads(), "an invalidation before the load began is no race");
    }

    @Test
    void nullIsReturnedAndNeverCached() {
        ReaderCache<String, String> cache = new ReaderCache<>("get_user", 100);
        assertNull(cache.get("a", k -> null));
        assertNull(cache.peek("a"));
        assertEquals("x", cache.get("a", k -> "x"));
    }

    @Test
    void invalidationOfAKeyInAnotherStripeDoesNotDiscardTheLoad() throws Exception {
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("get_event", 100);
        // Integer keys below STRIPES hash to their own stripe
        int other = 8;
        assertNotEquals(7 % ReaderCache.STRIPES, other % ReaderCache.STRIPES);
        cache.get(other, k -> 80);
        AtomicInteger db = new AtomicInteger(1);
        BlockedLoad load = new BlockedLoad(db);
        Future<Integer> caller = loadInFlight(cache, 7, load);

        cache.invalidate(other);
        load.release.countDown();

        assertEquals(1, get(caller));
        assertEquals(1, cache.peek(7), "a change to another key does not make this load stale");
        assertNull(cache.peek(other));
        assertEquals(0, cache.discardedLoads());
    }

    @Test
    void invalidationOfAKeySharingTheStripeOnlyCostsTheStore() throws Exception {
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("get_event", 100);
        int sibling = 7 + ReaderCache.STRIPES; // same stripe as 7, different key
        AtomicInteger db = new AtomicInteger(1);
        BlockedLoad load = new BlockedLoad(db);
        Future<Integer> caller = loadInFlight(cache, 7, load);

        cache.invalidate(sibling);
        load.release.countDown();

        assertEquals(1, get(caller));
        assertNull(cache.peek(7), "conservative: the shared counter moved, so the store is skipped");
        assertEquals(1, cache.discardedLoads());
        assertEquals(1, cache.get(7, k -> db.get()));
        assertEquals(1, cache.peek(7));
    }

    @Test
    void aStaleLoadFinishingLateDoesNotReplaceAFresherCachedValue() throws Exception {
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("get_event", 100);
        AtomicInteger db = new AtomicInteger(1);
        BlockedLoad stale = new BlockedLoad(db);
        Future<Integer> slow = loadInFlight(cache, 7, stale);

        db.set(2);
        cache.invalidate(7);
        assertEquals(2, cache.get(7, k -> db.get()), "a load begun after the invalidation");
        assertEquals(2, cache.peek(7));
        stale.release.countDown();

        assertEquals(1, get(slow));
        assertEquals(2, cache.peek(7), "the stale load neither replaced nor dropped the fresh value");
        assertEquals(1, cache.discardedLoads());
    }

    @Test
    void manyLoadsRacingOneInvalidationAreAllDiscarded() throws Exception {
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("get_event", 100);
        AtomicInteger db = new AtomicInteger(1);
        List<BlockedLoad> loads = new ArrayList<>();
        List<Future<Integer>> callers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            BlockedLoad l = new BlockedLoad(db);
            loads.add(l);
            callers.add(loadInFlight(cache, 7, l));
        }
        db.set(2);
        cache.invalidate(7);
        loads.forEach(l -> l.release.countDown());
        for (Future<Integer> c : callers) {
            assertEquals(1, get(c));
        }
        assertNull(cache.peek(7));
        assertEquals(4, cache.discardedLoads());
        assertEquals(4, cache.loads());
    }

    // --- stress: exact invariants, no timing assumptions --------------------------------------------------------

    /**
     * Readers and one writer over a few keys. The writer bumps a key's version in the "database", invalidates it
     * (sometimes everything), and only then publishes the version as that key's floor. A reader reads the floor
     * before its get, so its get began after that invalidation returned: it must answer at least the floor.
     */
    @Test
    void noGetAfterAnInvalidationReturnsOlderThanTheVersionInvalidated() throws Exception {
        int keys = 4;
        int writes = 100_000;
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("stress", 1_000);
        AtomicIntegerArray db = new AtomicIntegerArray(keys);
        AtomicIntegerArray floor = new AtomicIntegerArray(keys);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        AtomicInteger gets = new AtomicInteger();

        int readers = 4;
        List<Future<?>> running = new ArrayList<>();
        for (int r = 0; r < readers; r++) {
            int seed = r;
            running.add(pool.submit(() -> {
                int i = seed;
                while (!done.get() && violation.get() == null) {
                    int key = i++ % keys;
                    int atLeast = floor.get(key);
                    int got = cache.get(key, k -> db.get(k));
                    if (atLeast > 0 && !done.get()) {
                        gets.incrementAndGet();
                    }
                    if (got < atLeast) {
                        violation.compareAndSet(null, "key " + key + ": got version " + got
                                + " after the invalidation of version " + atLeast + " returned");
                    }
                }
            }));
        }
        for (int w = 0; w < writes && violation.get() == null; w++) {
            if (w % 64 == 63) {
                int[] versions = new int[keys];
                for (int k = 0; k < keys; k++) {
                    versions[k] = db.incrementAndGet(k);
                }
                cache.invalidateAll();
                for (int k = 0; k < keys; k++) {
                    floor.set(k, versions[k]);
                }
            } else {
                int key = w % keys;
                int v = db.incrementAndGet(key);
                cache.invalidate(key);
                floor.set(key, v);
            }
            if (w % 1_000 == 999) {
                awaitProgress(gets, violation);
            }
        }
        done.set(true);
        for (Future<?> f : running) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertNull(violation.get());
        // after the last invalidation, every key answers its last version
        for (int k = 0; k < keys; k++) {
            int key = k;
            assertEquals(db.get(k), cache.get(k, kk -> db.get(key)));
        }
        assertTrue(gets.get() >= writes / 1_000, "gets checked against a published floor while writing: " + gets);
    }

    /**
     * Loads of keys that are absent (so their store inserts a new entry) racing {@code invalidateAll}: the sweep
     * of {@code invalidateAll} must not miss an entry whose store passed its check just before the sweep began.
     */
    @Test
    void invalidateAllRacingInsertsNeverLeavesAStaleEntry() throws Exception {
        int keys = 64;
        int rounds = 100_000;
        ReaderCache<Integer, Integer> cache = new ReaderCache<>("stress-all", 10_000);
        AtomicInteger db = new AtomicInteger();
        AtomicInteger floor = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        // gets checked against a floor an invalidateAll had published, while invalidateAll kept running
        AtomicInteger checked = new AtomicInteger();

        List<Future<?>> running = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            int seed = r * 17;
            running.add(pool.submit(() -> {
                int i = seed;
                while (!done.get() && violation.get() == null) {
                    int key = i++ % keys;
                    int atLeast = floor.get();
                    int got = cache.get(key, k -> db.get());
                    if (got < atLeast) {
                        violation.compareAndSet(null, "key " + key + ": got version " + got
                                + " after invalidateAll of version " + atLeast + " returned");
                    }
                    if (atLeast > 0 && !done.get()) {
                        checked.incrementAndGet();
                    }
                }
            }));
        }
        for (int w = 0; w < rounds && violation.get() == null; w++) {
            int v = db.incrementAndGet();
            cache.invalidateAll();
            floor.set(v);
            if (w % 1_000 == 999) { // let the readers in: on two cores the writer could otherwise run alone
                awaitProgress(checked, violation);
            }
        }
        done.set(true);
        for (Future<?> f : running) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertNull(violation.get());
        assertTrue(checked.get() >= rounds / 1_000, "gets checked while invalidateAll ran: " + checked);
    }

    /** Waits (at most 10 s) until the readers made one more check, or one found a violation. */
    private static void awaitProgress(AtomicInteger checked, AtomicReference<String> violation) {
        int before = checked.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (checked.get() == before && violation.get() == null && System.nanoTime() < deadline) {
            Thread.yield();
        }
    }
}

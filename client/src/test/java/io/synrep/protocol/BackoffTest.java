package io.synrep.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The one retry policy, with the parameters its users pass: capture's reconnects (0.5 s doubling to 30 s, ±20 %)
 * and a reader's failed requests (by default 100 ms doubling to 10 s, ±50 %).
 */
class BackoffTest {
    private static Backoff capture(java.util.function.DoubleSupplier random) {
        return new Backoff(500, 30_000, 0.2, random);
    }

    @Test
    void withoutJitterTheWaitsDoubleFromHalfASecondToThirtySeconds() {
        Backoff b = capture(() -> 0.5); // factor 0.8 + 0.4 * 0.5 = 1
        assertEquals(List.of(500L, 1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L, 30_000L), waits(b, 9));
    }

    @Test
    void resetStartsOverAtTheFirstWait() {
        Backoff b = capture(() -> 0.5);
        waits(b, 5);
        b.reset();
        assertEquals(List.of(500L, 1_000L), waits(b, 2));
    }

    @Test
    void jitterStaysWithinTwentyPercentOfEachStep() {
        long[] steps = {500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000};
        // the extremes of the random source
        assertEquals(400L, capture(() -> 0.0).nextDelayMillis());
        assertTrue(capture(() -> Math.nextDown(1.0)).nextDelayMillis() <= 600);
        // and a real random source: every wait within bounds, and the waits of one step really vary
        Random random = new Random(42);
        TreeSet<Long> firstWaits = new TreeSet<>();
        int checked = 0;
        for (int run = 0; run < 1_000; run++) {
            Backoff b = capture(random::nextDouble);
            for (long step : steps) {
                long wait = b.nextDelayMillis();
                assertTrue(wait >= step * 8 / 10 && wait <= step * 12 / 10,
                        "wait " + wait + " ms outside [0.8, 1.2] of step " + step + " ms");
                checked++;
            }
            b.reset();
            firstWaits.add(b.nextDelayMillis());
        }
        assertEquals(8_000, checked);
        assertTrue(firstWaits.first() < 450 && firstWaits.last() > 550,
                "1000 first waits should spread over [400, 600] ms, were " + firstWaits.first() + ".."
                        + firstWaits.last());
    }

    @Test
    void aReadersWaitsSpanHalfToOneAndAHalfTimesEachStep() {
        assertEquals(List.of(50L, 100L, 200L, 200L), waits(new Backoff(100, 400, 0.5, () -> 0.0), 4));
        assertEquals(List.of(100L, 200L, 400L, 400L), waits(new Backoff(100, 400, 0.5, () -> 0.5), 4));
        // the largest random value rounds up to one and a half times the step
        assertEquals(List.of(150L, 300L, 600L, 600L), waits(new Backoff(100, 400, 0.5, () -> Math.nextDown(1.0)), 4));
    }

    @Test
    void withoutJitterEveryWaitIsTheStep() {
        assertEquals(List.of(0L, 0L), waits(new Backoff(0, 0, 0, () -> 0.9), 2));
        assertEquals(List.of(7L, 14L, 20L), waits(new Backoff(7, 20, 0, () -> 0.9), 3));
    }

    @Test
    void nonsensicalSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(-1, 10, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(100, 10, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(100, 1_000, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(100, 1_000, -0.1));
    }

    private static List<Long> waits(Backoff b, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(b.nextDelayMillis());
        }
        return out;
    }
}

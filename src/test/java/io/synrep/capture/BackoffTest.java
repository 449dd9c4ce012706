package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Capture's reconnect waits: 0.5 s doubling to 30 s, with jitter of ±20 %, starting over once capture streamed. */
class BackoffTest {
    @Test
    void withoutJitterTheWaitsDoubleFromHalfASecondToThirtySeconds() {
        Backoff b = new Backoff(() -> 0.5); // factor 0.8 + 0.4 * 0.5 = 1
        assertEquals(List.of(500L, 1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L, 30_000L), waits(b, 9));
    }

    @Test
    void resetStartsOverAtHalfASecond() {
        Backoff b = new Backoff(() -> 0.5);
        waits(b, 5);
        b.reset();
        assertEquals(List.of(500L, 1_000L), waits(b, 2));
    }

    @Test
    void jitterStaysWithinTwentyPercentOfEachStep() {
        long[] steps = {500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000};
        // the extremes of the random source
        assertEquals(400L, new Backoff(() -> 0.0).nextDelayMillis());
        assertTrue(new Backoff(() -> Math.nextDown(1.0)).nextDelayMillis() <= 600);
        // and a real random source: every wait within bounds, and the waits of one step really vary
        Random random = new Random(42);
        TreeSet<Long> firstWaits = new TreeSet<>();
        int checked = 0;
        for (int run = 0; run < 1_000; run++) {
            Backoff b = new Backoff(random::nextDouble);
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

    private static List<Long> waits(Backoff b, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(b.nextDelayMillis());
        }
        return out;
    }
}

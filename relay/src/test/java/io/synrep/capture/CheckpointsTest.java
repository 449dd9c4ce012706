package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which resume point capture marks processed, given what the log may confirm. */
class CheckpointsTest {
    @Test
    void takesTheNewestCandidateAtOrBelowTheSafePosition() {
        Checkpoints<String> c = new Checkpoints<>(-1, 0, Long.MAX_VALUE, 100);
        c.offer(10, "a", 0);
        c.offer(20, "b", 1);
        c.offer(30, "c", 2);
        assertNull(c.take(9), "nothing at or below 9");
        assertEquals("b", c.take(29));
        assertEquals(20, c.marked());
        assertNull(c.take(29), "b was already taken");
        assertEquals("c", c.take(1_000));
        assertNull(c.take(1_000));
    }

    @Test
    void neverHandsOutAPositionAtOrBelowTheResumePoint() {
        Checkpoints<String> c = new Checkpoints<>(50, 0, Long.MAX_VALUE, 100);
        c.offer(40, "replayed", 0);
        c.offer(50, "replayed", 1);
        assertNull(c.take(100), "offsets must never move backwards");
        c.offer(60, "new", 2);
        assertEquals("new", c.take(100));
    }

    @Test
    void samplesOlderCandidatesBySpacingButAlwaysKeepsTheNewest() {
        Checkpoints<String> c = new Checkpoints<>(-1, 100, Long.MAX_VALUE, 100);
        for (int i = 1; i <= 1000; i++) {
            c.offer(i, "p" + i, i); // one candidate per millisecond
        }
        assertTrue(c.size() <= 12, "about one per 100 ms kept, was " + c.size());
        String older = c.take(550);
        assertTrue(older != null && Integer.parseInt(older.substring(1)) <= 550
                && Integer.parseInt(older.substring(1)) > 400, "a sample from the last 100 ms window or so: " + older);
        assertEquals("p1000", c.take(1000), "the newest candidate is kept exactly");
    }

    @Test
    void alsoKeepsCandidatesSpacedByWalBytesSoTheSlotTrailsByLittle() {
        Checkpoints<Long> c = new Checkpoints<>(-1, 1_000_000, 1_000, 100);
        for (long p = 100; p <= 10_000; p += 100) {
            c.offer(p, p, 0); // all at the same instant: time sampling alone would keep only the first
        }
        Long taken = c.take(5_550);
        assertTrue(taken != null && taken > 5_550 - 1_100, "within one spacing of the safe position: " + taken);
    }

    @Test
    void thinsByHalfWhenFullSoMemoryStaysBounded() {
        Checkpoints<Integer> c = new Checkpoints<>(-1, 0, Long.MAX_VALUE, 8);
        for (int i = 1; i <= 10_000; i++) {
            c.offer(i, i, i);
        }
        assertTrue(c.size() <= 9, "bounded by capacity plus the newest: " + c.size());
        Integer mid = c.take(5_000);
        assertTrue(mid != null && mid <= 5_000, "still a usable, older resume point: " + mid);
        assertEquals(10_000, c.take(10_000));
    }
}

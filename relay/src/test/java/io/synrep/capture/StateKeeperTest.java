package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offsets flushed late by an engine of a replaced WAL history (a dropped slot, a new epoch) must not enter the new
 * history: the next engine would look for their position in the new slot and skip its changes meanwhile (seen in
 * WorkerResyncIT before this guard: no row reached the relay after the slot was recreated).
 */
class StateKeeperTest {
    @TempDir
    Path dir;

    @Test
    void offsetsOfAReplacedHistoryAreIgnoredAndTheNewHistorysAreSaved() {
        FileStateStore store = new FileStateStore(dir);
        RelayState old = new RelayState("1", "s", "1-s-10", 16, Map.of("lsn", "100"));
        try (StateKeeper keeper = new StateKeeper(store, old, () -> 16)) {
            keeper.replace(old);
            Map.Entry<Long, Map<String, String>> oldEngine = keeper.offsetsWithGeneration();
            assertEquals(Map.of("lsn", "100"), oldEngine.getValue());

            keeper.replace(new RelayState("1", "s", "1-s-20", 32, Map.of())); // the slot was recreated
            assertFalse(keeper.saveOffsets(Map.of("lsn", "150"), oldEngine.getKey()), "a late flush of the old engine");
            assertEquals(Map.of(), keeper.offsets());
            assertEquals(Map.of(), store.load().orElseThrow().offsets(), "nor on disk");

            Map.Entry<Long, Map<String, String>> newEngine = keeper.offsetsWithGeneration();
            assertTrue(keeper.saveOffsets(Map.of("lsn", "40"), newEngine.getKey()));
            assertEquals(Map.of("lsn", "40"), keeper.offsets());
        }
    }
}

package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file: round trip, atomic replacement, clear errors. */
class FileStateStoreTest {
    @TempDir
    Path dir;

    private static final String KEY = "[\"synrep\",{\"server\":\"synrep\"}]";

    @Test
    void roundTripsAndReportsTheResumePosition() {
        FileStateStore store = new FileStateStore(dir.resolve("nested"));
        assertTrue(store.load().isEmpty());
        RelayState s = new RelayState("7301", "synrep", "7301-synrep-10", 1234,
                Map.of(KEY, "{\"lsn\":5678,\"lsn_commit\":5600,\"txId\":9}"));
        store.save(s);
        RelayState back = store.load().orElseThrow();
        assertEquals(s, back);
        assertEquals(5678, back.resumePosition());
        assertEquals(-1, new RelayState("1", "s", "e", 0, Map.of()).resumePosition());
    }

    @Test
    void aLeftoverTemporaryFileFromACrashDoesNotMatter() throws Exception {
        FileStateStore store = new FileStateStore(dir);
        RelayState first = new RelayState("1", "s", "e", 10, Map.of());
        store.save(first);
        // a crash between writing the temporary file and the rename leaves both files
        Files.writeString(dir.resolve("state.json.tmp"), "{\"system_id\":\"1\",\"slo");
        assertEquals(first, store.load().orElseThrow());
        RelayState second = first.with(20, Map.of(KEY, "{\"lsn\":30}"));
        store.save(second);
        assertEquals(second, store.load().orElseThrow());
    }

    /**
     * A save is a whole new file renamed over the old one: interrupted after the new state is written and forced but
     * before the rename (the seam throws there, as a crash would stop it), {@code state.json} still holds the previous
     * save byte for byte, and the new state lies whole in the temporary file. A save that wrote {@code state.json} in
     * place would already have changed it at that point.
     */
    @Test
    void aSaveInterruptedBeforeTheRenameLeavesThePreviousFileWhole() throws Exception {
        Path stateFile = dir.resolve("state.json");
        RelayState first = new RelayState("1", "s", "e", 10, Map.of(KEY, "{\"lsn\":11}"));
        RelayState second = first.with(20, Map.of(KEY, "{\"lsn\":30,\"lsn_commit\":25}"));
        new FileStateStore(dir).save(first);
        byte[] before = Files.readAllBytes(stateFile);

        byte[][] atRename = new byte[2][];
        FileStateStore crashing = new FileStateStore(dir, () -> {
            try {
                atRename[0] = Files.readAllBytes(stateFile);
                Path tmp = dir.resolve("state.json.tmp");
                atRename[1] = Files.exists(tmp) ? Files.readAllBytes(tmp) : null;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new Crash();
        });
        assertThrows(Crash.class, () -> crashing.save(second));
        assertArrayEquals(before, atRename[0], "state.json was changed before the rename");
        assertArrayEquals(second.toJson(), atRename[1], "the new state is written whole before the rename");
        assertArrayEquals(before, Files.readAllBytes(stateFile), "state.json after the interrupted save");
        assertEquals(first, new FileStateStore(dir).load().orElseThrow());

        // the next save completes the replacement and leaves no temporary file
        new FileStateStore(dir).save(second);
        assertEquals(second, new FileStateStore(dir).load().orElseThrow());
        assertTrue(Files.notExists(dir.resolve("state.json.tmp")));
    }

    /** Stands for the process stopping at the seam. */
    private static final class Crash extends RuntimeException {
        Crash() {
            super("stopped before the rename");
        }
    }

    @Test
    void aDamagedFileIsReportedWithTheFix() throws Exception {
        Files.writeString(dir.resolve("state.json"), "not json at all");
        StateStore.StateStoreException e = assertThrows(StateStore.StateStoreException.class,
                () -> new FileStateStore(dir).load());
        assertTrue(e.getMessage().contains("state.json") && e.getMessage().contains("move it away"), e.getMessage());
    }
}

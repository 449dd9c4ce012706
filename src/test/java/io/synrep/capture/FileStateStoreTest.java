package io.synrep.capture;

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

    @Test
    void aDamagedFileIsReportedWithTheFix() throws Exception {
        Files.writeString(dir.resolve("state.json"), "not json at all");
        StateStore.StateStoreException e = assertThrows(StateStore.StateStoreException.class,
                () -> new FileStateStore(dir).load());
        assertTrue(e.getMessage().contains("state.json") && e.getMessage().contains("move it away"), e.getMessage());
    }
}

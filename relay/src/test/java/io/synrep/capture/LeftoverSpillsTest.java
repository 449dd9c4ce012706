package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.CaptureConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spill files a crashed relay left are deleted at start; a live process's never are. Real files, real processes. */
class LeftoverSpillsTest {
    @TempDir
    Path tmp;

    @Test
    void configuredDirectoryLosesItsSpillFilesOnly() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("spill"));
        Path tx = Files.writeString(dir.resolve("tx-123.rows"), "rows");
        Path pending = Files.writeString(dir.resolve("pending-456.rows"), "rows");
        Path other = Files.writeString(dir.resolve("notes.txt"), "operator's file");

        LeftoverSpills.deleteAtStart(dir);

        assertFalse(Files.exists(tx), "a tx- spill file survived the start");
        assertFalse(Files.exists(pending), "a pending- spill file survived the start");
        assertTrue(Files.exists(other), "a file that is not a spill file was deleted");
    }

    @Test
    void defaultDirectoriesOfEndedProcessesAreDeletedLiveOnesKept() throws Exception {
        Process ended = new ProcessBuilder("true").start();
        assertTrue(ended.waitFor(30, TimeUnit.SECONDS));
        Process live = new ProcessBuilder("sleep", "600").start();
        try {
            long own = ProcessHandle.current().pid();
            Path deadDir = spillDir(ended.pid(), "tx-1.rows", "pending-2.rows");
            Path liveDir = spillDir(live.pid(), "tx-3.rows");
            Path ownDir = spillDir(own, "tx-4.rows");
            // a second ended process whose directory also holds a file that is not a spill file
            Process ended2 = new ProcessBuilder("true").start();
            assertTrue(ended2.waitFor(30, TimeUnit.SECONDS));
            Path deadMixed = spillDir(ended2.pid(), "tx-5.rows", "keep.txt");
            Path notOurs = Files.createDirectories(tmp.resolve(CaptureConfig.DEFAULT_SPILL_PREFIX + "abc"));
            Files.writeString(notOurs.resolve("tx-6.rows"), "rows");
            assertFalse(ProcessHandle.of(ended.pid()).map(ProcessHandle::isAlive).orElse(false),
                    "pid " + ended.pid() + " was reused at once; rerun");

            int removed = LeftoverSpills.deleteDeadProcessDirs(tmp, own);

            assertFalse(Files.exists(deadDir), "an ended relay's default spill directory was kept");
            assertTrue(Files.exists(liveDir.resolve("tx-3.rows")), "a live process's spill file was deleted");
            assertTrue(Files.exists(ownDir.resolve("tx-4.rows")), "this process's own spill file was deleted");
            assertFalse(Files.exists(deadMixed.resolve("tx-5.rows")), "an ended relay's spill file was kept");
            assertTrue(Files.exists(deadMixed.resolve("keep.txt")), "a file that is not a spill file was deleted");
            assertTrue(Files.exists(notOurs.resolve("tx-6.rows")), "a directory not named by a pid was touched");
            assertEquals(1, removed, "directories removed");
        } finally {
            live.destroyForcibly();
        }
    }

    private Path spillDir(long pid, String... files) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(CaptureConfig.DEFAULT_SPILL_PREFIX + pid));
        for (String f : files) {
            Files.writeString(dir.resolve(f), "rows");
        }
        return dir;
    }
}

package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.Relay;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.streams.Catalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * "Spill files left by a crash are deleted at start", through a real relay start: the files in its configured spill
 * directory, and the default per-process directory ({@code <tmp>/synrep-spill-<pid>}) of a process that has ended.
 */
class SpillCleanupIT {
    @Test
    void aStartingRelayDeletesSpillFilesLeftByACrash() throws Exception {
        String url = TestPostgres.freshDatabase("spillclean");
        String slot = SqlRows.dbName(url);
        Path configured = Files.createTempDirectory("synrep-cleanup-it");
        Path leftTx = Files.writeString(configured.resolve("tx-77.rows"), "rows of a crashed run");
        Path leftPending = Files.writeString(configured.resolve("pending-78.rows"), "rows of a crashed run");
        Process ended = new ProcessBuilder("true").start();
        assertTrue(ended.waitFor(30, TimeUnit.SECONDS));
        Path crashedDefault = Path.of(System.getProperty("java.io.tmpdir"),
                CaptureConfig.DEFAULT_SPILL_PREFIX + ended.pid());
        Files.createDirectories(crashedDefault);
        Path crashedFile = Files.writeString(crashedDefault.resolve("tx-79.rows"), "rows of a crashed run");

        CaptureConfig capture = new CaptureConfig(url, null, null, slot, slot, Duration.ofMillis(200),
                Duration.ofMillis(10), configured, CaptureConfig.DEFAULT_SPILL_THRESHOLD);
        try (Relay relay = Relay.start(capture, HttpConfig.defaults().withListen("127.0.0.1", 0),
                RetentionConfig.defaults(), Catalog.builtin())) {
            assertFalse(Files.exists(leftTx), "a tx- spill file in --spill-dir survived the start");
            assertFalse(Files.exists(leftPending), "a pending- spill file in --spill-dir survived the start");
            assertFalse(Files.exists(crashedFile),
                    "the default spill directory of ended process " + ended.pid() + " kept its file");
            assertFalse(Files.exists(crashedDefault), "the default spill directory of an ended process was kept");
            RelayFixture.awaitStreaming(relay); // an engine still starting cannot be stopped
        } finally {
            FaultsIT.deleteRecursively(configured);
        }
    }
}

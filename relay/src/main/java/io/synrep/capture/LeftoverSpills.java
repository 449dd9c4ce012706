package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes spill files a crashed relay left behind. Nothing refers to them any more: the slot replays their rows.
 *
 * <p>A configured spill directory belongs to this relay, so its spill files go at start. The default directory is
 * per process ({@code synrep-spill-<pid>} in the temporary directory) and a crashed relay's pid never comes back
 * to it, so such directories are deleted when their process is no longer running; this process's own and a live
 * process's are never touched. (A relay in another PID namespace that shares the temporary directory would look
 * dead: give such relays their own {@code --spill-dir}.) Only files named like spill files are deleted.
 */
public final class LeftoverSpills {
    private static final Logger LOG = LoggerFactory.getLogger(LeftoverSpills.class);
    private static final String SPILL_FILES = "{tx,pending}-*.rows";
    private static final Pattern DEFAULT_DIR =
            Pattern.compile(Pattern.quote(CaptureConfig.DEFAULT_SPILL_PREFIX) + "(\\d{1,18})");

    private LeftoverSpills() {}

    /** At relay start: the configured directory (unless it is this process's default one) and dead processes' defaults. */
    public static void deleteAtStart(Path spillDir) {
        Path own = CaptureConfig.defaultSpillDir();
        if (!spillDir.equals(own)) { // other relays of this JVM may be spilling to the default directory
            deleteSpillFiles(spillDir);
        }
        deleteDeadProcessDirs(own.getParent(), ProcessHandle.current().pid());
    }

    /** Deletes the spill files in {@code dir}; returns how many. */
    static int deleteSpillFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, SPILL_FILES)) {
            for (Path f : files) {
                if (Files.deleteIfExists(f)) {
                    deleted++;
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean spill directory {}: {}", dir, e.getMessage());
        }
        if (deleted > 0) {
            LOG.info("deleted {} spill files left in {} by an earlier run", deleted, dir);
        }
        return deleted;
    }

    /**
     * Deletes the spill files, then the directory when it is empty, of every {@code synrep-spill-<pid>} under
     * {@code parent} whose process is not running; returns the directories deleted.
     */
    static int deleteDeadProcessDirs(Path parent, long ownPid) {
        if (parent == null || !Files.isDirectory(parent)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, CaptureConfig.DEFAULT_SPILL_PREFIX + "*")) {
            for (Path dir : dirs) {
                Matcher m = DEFAULT_DIR.matcher(dir.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(dir)) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                if (pid == ownPid || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                deleteSpillFiles(dir);
                try {
                    Files.delete(dir);
                    removed++;
                } catch (IOException e) { // other files in it, or not ours to delete: leave it
                    LOG.debug("kept {}: {}", dir, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot look for spill directories of ended relays in {}: {}", parent, e.getMessage());
        }
        return removed;
    }
}

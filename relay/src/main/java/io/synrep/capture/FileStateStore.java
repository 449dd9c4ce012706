package io.synrep.capture;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state as {@code state.json} in the relay's data directory. A save writes {@code state.json.tmp}, forces it to
 * disk, renames it over {@code state.json} and forces the directory, so a crash leaves one whole file.
 */
public final class FileStateStore implements StateStore {
    /**
     * Test hook simulating a crash during an offset flush: on the Nth save the JVM halts after the temporary file is
     * written and before it is renamed. Unset in production.
     */
    static final String HALT_PROPERTY = "synrep.test.halt-in-state-save";

    private final Path file;
    private final Path tmp;
    private final int haltAt = Integer.getInteger(HALT_PROPERTY, 0);
    private final AtomicInteger saves = new AtomicInteger();
    private final Runnable beforeRename;

    public FileStateStore(Path dir) {
        this(dir, () -> { });
    }

    /**
     * A test seam: {@code beforeRename} runs in each save after the temporary file is written and forced, before it
     * replaces {@code state.json}; a test observes the files there, or throws to stand for a crash at that point.
     */
    FileStateStore(Path dir, Runnable beforeRename) {
        this.file = dir.resolve("state.json");
        this.tmp = dir.resolve("state.json.tmp");
        this.beforeRename = beforeRename;
    }

    @Override
    public Optional<RelayState> load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StateStoreException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return Optional.of(RelayState.fromJson(bytes));
        } catch (IOException e) {
            throw new StateStoreException(file + " is not a Synrep state file (" + e.getMessage()
                    + "); move it away to start from the slot's confirmed position", e);
        }
    }

    @Override
    public synchronized void save(RelayState state) {
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(state.toJson()));
                ch.force(true);
            }
            if (haltAt > 0 && saves.incrementAndGet() == haltAt) {
                System.err.println("synrep: halting during state save " + haltAt + " (" + HALT_PROPERTY + ")");
                Runtime.getRuntime().halt(137);
            }
            beforeRename.run();
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(file.getParent());
        } catch (IOException e) {
            throw new StateStoreException("cannot write " + file + ": " + e.getMessage()
                    + " (is --data-dir writable and the disk not full?)", e);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the rename itself is still atomic
        }
    }

    @Override
    public String describe() {
        return file.toString();
    }
}

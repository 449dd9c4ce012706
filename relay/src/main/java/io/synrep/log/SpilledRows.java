package io.synrep.log;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One stream's rows of one large transaction, kept in a file instead of the heap: length-prefixed row tails in
 * WAL order. Reference counted: the log holds one reference while it retains the rows, each response streaming
 * them holds another; the file is deleted when the last is released.
 */
public final class SpilledRows {
    private final Path file;
    private final int rows;
    private final long bytes;
    private final AtomicInteger refs = new AtomicInteger(1);

    private SpilledRows(Path file, int rows, long bytes) {
        this.file = file;
        this.rows = rows;
        this.bytes = bytes;
    }

    public int rows() {
        return rows;
    }

    /** Encoded bytes in the file (what the rows would take on the heap). */
    public long bytes() {
        return bytes;
    }

    /** Takes a reference; false when the rows are already gone. */
    boolean retain() {
        while (true) {
            int n = refs.get();
            if (n <= 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one deletes the file. */
    public void release() {
        if (refs.decrementAndGet() == 0) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file; deleteOnExit is the backstop
            }
        }
    }

    /** Reads the rows in order; the caller must hold a reference while reading. */
    DataInputStream open() throws IOException {
        return new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 65536));
    }

    /** Appends row tails to a new spill file (for the capture buffer of a large transaction). Not thread-safe. */
    public static final class Writer {
        private final Path file;
        private final DataOutputStream out;
        private int rows;
        private long bytes;

        public Writer(Path dir) {
            try {
                Files.createDirectories(dir);
                file = Files.createTempFile(dir, "tx-", ".rows");
                file.toFile().deleteOnExit();
                out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 65536));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spill a large transaction to " + dir, e);
            }
        }

        public void write(byte[] tail) {
            try {
                out.writeInt(tail.length);
                out.write(tail);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spill a large transaction to " + file, e);
            }
            rows++;
            bytes += tail.length;
        }

        /** Closes the file and hands its rows over, with one reference held by the caller. */
        public SpilledRows finish() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spill a large transaction to " + file, e);
            }
            return new SpilledRows(file, rows, bytes);
        }

        public void discard() {
            try {
                out.close();
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }
}

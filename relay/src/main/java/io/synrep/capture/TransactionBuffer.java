package io.synrep.capture;

import io.synrep.log.SpilledRows;
import io.synrep.log.Transaction;
import io.synrep.streams.TransactionRows;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Holds the rows of the transaction being captured, on the heap until they pass a byte threshold, then in spill
 * files, so that a transaction of any size passes through a bounded heap. A finished transaction is the log's
 * {@link Transaction}: its spilled rows stay in their files, which the log then owns.
 *
 * <p>Two kinds of rows: final rows (encoded tails) and pending rows (encoded fields awaiting values from joined
 * rows of the same transaction, read back in order by {@link #forEachPending} at the end). Not thread-safe: one
 * per capture thread.
 */
public final class TransactionBuffer implements TransactionRows<Transaction> {
    private final Path spillDir;
    private final long threshold;
    private final Map<String, List<byte[]>> rows = new LinkedHashMap<>();
    private final Map<String, SpilledRows.Writer> spilling = new LinkedHashMap<>();
    private final Map<String, List<byte[][]>> pending = new LinkedHashMap<>();
    private final Map<String, PendingFile> pendingSpill = new LinkedHashMap<>();
    private long heapBytes;
    private boolean spill;

    /**
     * @param spillDir  where large transactions are written
     * @param threshold heap bytes one transaction may hold before it spills
     */
    public TransactionBuffer(Path spillDir, long threshold) {
        this.spillDir = spillDir;
        this.threshold = threshold;
    }

    /** Adds a final row of {@code stream}. */
    @Override
    public void add(String stream, byte[] tail) {
        if (spill) {
            spilling.computeIfAbsent(stream, s -> new SpilledRows.Writer(spillDir)).write(tail);
            return;
        }
        rows.computeIfAbsent(stream, s -> new ArrayList<>()).add(tail);
        grow(tail.length + 16);
    }

    /** Adds a row of {@code stream} whose fields are not all known yet. */
    @Override
    public void addPending(String stream, byte[][] fields) {
        if (spill) {
            pendingSpill.computeIfAbsent(stream, s -> new PendingFile(spillDir)).write(fields);
            return;
        }
        pending.computeIfAbsent(stream, s -> new ArrayList<>()).add(fields);
        long size = 16L + 8L * fields.length;
        for (byte[] f : fields) {
            size += f == null ? 0 : f.length + 16;
        }
        grow(size);
    }

    /** Streams with pending rows, in first-seen order. */
    @Override
    public List<String> pendingStreams() {
        List<String> out = new ArrayList<>(pending.keySet());
        for (String s : pendingSpill.keySet()) {
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Hands each pending row of {@code stream} to {@code action}, in the order added, and forgets them. */
    @Override
    public void forEachPending(String stream, Consumer<byte[][]> action) {
        List<byte[][]> mem = pending.remove(stream);
        if (mem != null) {
            mem.forEach(action);
        }
        PendingFile file = pendingSpill.remove(stream);
        if (file != null) {
            file.readAll(action);
        }
    }

    /** Whether this transaction has spilled to disk. */
    public boolean spilled() {
        return spill;
    }

    /** Completes the transaction's rows at {@code position} and resets for the next one. */
    @Override
    public Transaction finish(long position) {
        Map<String, SpilledRows> files = new LinkedHashMap<>();
        spilling.forEach((s, w) -> files.put(s, w.finish()));
        Transaction tx = new Transaction(position, new LinkedHashMap<>(rows), files);
        spilling.clear();
        clear();
        return tx;
    }

    /** Drops everything buffered (a transaction abandoned mid-way, e.g. replayed after an engine restart). */
    @Override
    public void reset() {
        spilling.values().forEach(SpilledRows.Writer::discard);
        spilling.clear();
        pendingSpill.values().forEach(PendingFile::discard);
        clear();
    }

    private void clear() {
        rows.clear();
        pending.clear();
        pendingSpill.values().forEach(PendingFile::discard);
        pendingSpill.clear();
        heapBytes = 0;
        spill = false;
    }

    private void grow(long bytes) {
        heapBytes += bytes;
        if (heapBytes > threshold) {
            // move what is on the heap to files; everything after goes straight to files
            spill = true;
            rows.forEach((s, list) -> {
                SpilledRows.Writer w = new SpilledRows.Writer(spillDir);
                list.forEach(w::write);
                spilling.put(s, w);
            });
            rows.clear();
            pending.forEach((s, list) -> {
                PendingFile f = new PendingFile(spillDir);
                list.forEach(f::write);
                pendingSpill.put(s, f);
            });
            pending.clear();
            heapBytes = 0;
        }
    }

    /** Pending rows in a file: per row the field count, then each field (-1 length for a missing one). */
    private static final class PendingFile {
        private final Path file;
        private final DataOutputStream out;

        PendingFile(Path dir) {
            try {
                Files.createDirectories(dir);
                file = Files.createTempFile(dir, "pending-", ".rows");
                file.toFile().deleteOnExit();
                out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 65536));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spill a large transaction to " + dir, e);
            }
        }

        void write(byte[][] fields) {
            try {
                out.writeInt(fields.length);
                for (byte[] f : fields) {
                    if (f == null) {
                        out.writeInt(-1);
                    } else {
                        out.writeInt(f.length);
                        out.write(f);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spill a large transaction to " + file, e);
            }
        }

        void readAll(Consumer<byte[][]> action) {
            try {
                out.close();
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 65536))) {
                    while (true) {
                        int n;
                        try {
                            n = in.readInt();
                        } catch (EOFException end) {
                            break;
                        }
                        byte[][] fields = new byte[n][];
                        for (int i = 0; i < n; i++) {
                            int len = in.readInt();
                            if (len >= 0) {
                                fields[i] = in.readNBytes(len);
                            }
                        }
                        action.accept(fields);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read back spilled rows from " + file, e);
            } finally {
                discard();
            }
        }

        void discard() {
            try {
                out.close();
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }
}

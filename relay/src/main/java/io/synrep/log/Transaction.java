package io.synrep.log;

import java.util.List;
import java.util.Map;

/**
 * A committed transaction's rows, ready to append: its commit position and, per stream, the encoded row tails in
 * WAL order, either on the heap or, for a large transaction, spilled to a file. A stream appears in at most one
 * of the two maps.
 *
 * @param position commit LSN of the transaction
 * @param rows     stream name to row tails held in memory
 * @param spilled  stream name to rows spilled to disk
 */
public record Transaction(long position, Map<String, List<byte[]>> rows, Map<String, SpilledRows> spilled) {
    public Transaction(long position, Map<String, List<byte[]>> rows) {
        this(position, rows, Map.of());
    }

    public int rowCount() {
        int n = 0;
        for (List<byte[]> list : rows.values()) {
            n += list.size();
        }
        for (SpilledRows s : spilled.values()) {
            n += s.rows();
        }
        return n;
    }

    /** Frees the spill files of a transaction that will not be appended. */
    public void discard() {
        spilled.values().forEach(SpilledRows::release);
    }
}

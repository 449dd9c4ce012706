package io.synrep.log;

/**
 * One stream's retained rows in position order: a growable ring of (position, entry), where an entry is one
 * row's encoded tail ({@code byte[]}) or all of one large transaction's rows of this stream ({@link SpilledRows}).
 * Not thread-safe; {@link StreamLog} guards it.
 */
final class RowBuffer {
    private long[] positions = new long[64];
    private Object[] entries = new Object[64];
    private int start;
    private int size;
    private long heapBytes;
    private long rows;
    private long appendedRows;
    private long lastAppended = -1;

    /** Number of entries (a spilled entry holds many rows). */
    int size() {
        return size;
    }

    long heapBytes() {
        return heapBytes;
    }

    long rows() {
        return rows;
    }

    /** Rows ever appended to this stream (not reduced by eviction). */
    long appendedRows() {
        return appendedRows;
    }

    /** Position of the newest transaction that appended rows to this stream, or -1. */
    long lastAppended() {
        return lastAppended;
    }

    /** Counts one transaction's rows of this stream: called once per transaction, not per row. */
    void countAppended(long position, long rows) {
        appendedRows += rows;
        if (rows > 0) {
            lastAppended = position;
        }
    }

    long positionAt(int i) {
        return positions[(start + i) & (positions.length - 1)];
    }

    Object entryAt(int i) {
        return entries[(start + i) & (positions.length - 1)];
    }

    static int rowsIn(Object entry) {
        return entry instanceof SpilledRows s ? s.rows() : 1;
    }

    void add(long position, Object entry) {
        if (size == positions.length) {
            grow();
        }
        int at = (start + size) & (positions.length - 1);
        positions[at] = position;
        entries[at] = entry;
        size++;
        rows += rowsIn(entry);
        if (entry instanceof byte[] b) {
            heapBytes += b.length;
        }
    }

    /** Drops entries with position at or below {@code horizon}, releasing spilled files; returns rows dropped. */
    long dropThrough(long horizon) {
        long dropped = 0;
        int mask = positions.length - 1;
        while (size > 0 && positions[start] <= horizon) {
            Object e = entries[start];
            if (e instanceof byte[] b) {
                heapBytes -= b.length;
            } else {
                ((SpilledRows) e).release();
            }
            int n = rowsIn(e);
            rows -= n;
            dropped += n;
            entries[start] = null;
            start = (start + 1) & mask;
            size--;
        }
        return dropped;
    }

    /** Index of the first entry with position strictly greater than {@code position}, or {@link #size()}. */
    int firstAfter(long position) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (positionAt(mid) <= position) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void grow() {
        int n = positions.length;
        long[] p = new long[n * 2];
        Object[] t = new Object[n * 2];
        for (int i = 0; i < size; i++) {
            p[i] = positions[(start + i) & (n - 1)];
            t[i] = entries[(start + i) & (n - 1)];
        }
        positions = p;
        entries = t;
        start = 0;
    }

    @Override
    public String toString() {
        return "RowBuffer{entries=" + size + ", rows=" + rows + ", heapBytes=" + heapBytes + ", first="
                + (size > 0 ? positionAt(0) : -1) + "}";
    }
}

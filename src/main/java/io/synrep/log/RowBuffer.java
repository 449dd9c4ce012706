package io.synrep.log;

/**
 * One stream's retained rows in position order: a growable ring of (position, encoded row tail).
 * Not thread-safe; {@link StreamLog} guards it.
 */
final class RowBuffer {
    private long[] positions = new long[64];
    private byte[][] tails = new byte[64][];
    private int start;
    private int size;
    private long bytes;

    int size() {
        return size;
    }

    long bytes() {
        return bytes;
    }

    long positionAt(int i) {
        return positions[(start + i) & (positions.length - 1)];
    }

    byte[] tailAt(int i) {
        return tails[(start + i) & (positions.length - 1)];
    }

    void add(long position, byte[] tail) {
        if (size == positions.length) {
            grow();
        }
        int at = (start + size) & (positions.length - 1);
        positions[at] = position;
        tails[at] = tail;
        size++;
        bytes += tail.length;
    }

    /** Drops rows with position at or below {@code horizon}; returns how many were dropped. */
    int dropThrough(long horizon) {
        int dropped = 0;
        int mask = positions.length - 1;
        while (size > 0 && positions[start] <= horizon) {
            bytes -= tails[start].length;
            tails[start] = null;
            start = (start + 1) & mask;
            size--;
            dropped++;
        }
        return dropped;
    }

    /** Index of the first row with position strictly greater than {@code position}, or {@link #size()}. */
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
        byte[][] t = new byte[n * 2][];
        for (int i = 0; i < size; i++) {
            p[i] = positions[(start + i) & (n - 1)];
            t[i] = tails[(start + i) & (n - 1)];
        }
        positions = p;
        tails = t;
        start = 0;
    }

    @Override
    public String toString() {
        return "RowBuffer{size=" + size + ", bytes=" + bytes + ", first=" + (size > 0 ? positionAt(0) : -1)
                + ", cap=" + positions.length + "}";
    }
}

package io.synrep.log;

import java.io.DataInputStream;
import java.io.IOException;

/**
 * Rows of one stream read from the log for one reader: entries in position order plus the position the reader
 * resumes from. Never splits a transaction. An entry is one row or a spilled transaction's rows; a page holding
 * spilled rows keeps their files alive until {@link #release()}.
 */
public final class Page {
    private final String stream;
    private final long position;
    private final long[] positions;
    private final Object[] entries;
    private final int count;
    private final long rows;

    Page(String stream, long position, long[] positions, Object[] entries, int count) {
        this.stream = stream;
        this.position = position;
        this.positions = positions;
        this.entries = entries;
        this.count = count;
        long n = 0;
        for (int i = 0; i < count; i++) {
            n += RowBuffer.rowsIn(entries[i]);
        }
        this.rows = n;
    }

    /** A page without rows telling a reader where it stands (e.g. the resolved position of a {@code now} token). */
    public static Page empty(String stream, long position) {
        return new Page(stream, position, new long[0], new Object[0], 0);
    }

    public String stream() {
        return stream;
    }

    /** Where the reader resumes: the last row's position when the page was cut, else the relay's head. */
    public long position() {
        return position;
    }

    /** Number of entries; see {@link #rows()} for rows. */
    public int count() {
        return count;
    }

    /** Number of rows. */
    public long rows() {
        return rows;
    }

    public long positionAt(int i) {
        return positions[i];
    }

    /** Whether entry {@code i} is a single row (its tail is {@link #tailAt}) rather than spilled rows. */
    public boolean isRow(int i) {
        return entries[i] instanceof byte[];
    }

    /** The row's JSON after its position column: {@code ,v1,v2,...}. */
    public byte[] tailAt(int i) {
        return (byte[]) entries[i];
    }

    /** Opens entry {@code i}'s spilled rows: length-prefixed tails, all at {@link #positionAt(int) positionAt(i)}. */
    public DataInputStream openSpilled(int i) throws IOException {
        return ((SpilledRows) entries[i]).open();
    }

    /** Releases the spill files this page kept alive. Idempotent per page is not guaranteed: call once. */
    public void release() {
        for (int i = 0; i < count; i++) {
            if (entries[i] instanceof SpilledRows s) {
                s.release();
            }
        }
    }
}

package io.synrep.log;

/**
 * Rows of one stream read from the log for one reader: positions and encoded row tails, plus the position the
 * reader resumes from. Never splits a transaction. Immutable once returned (the byte arrays are shared, never
 * written after append).
 */
public final class Page {
    private final String stream;
    private final long position;
    private final long[] positions;
    private final byte[][] tails;
    private final int count;

    Page(String stream, long position, long[] positions, byte[][] tails, int count) {
        this.stream = stream;
        this.position = position;
        this.positions = positions;
        this.tails = tails;
        this.count = count;
    }

    /** A page without rows telling a reader where it stands (e.g. the resolved position of a {@code now} token). */
    public static Page empty(String stream, long position) {
        return new Page(stream, position, new long[0], new byte[0][], 0);
    }

    public String stream() {
        return stream;
    }

    /** Where the reader resumes: the last row's position when the page was cut, else the relay's head. */
    public long position() {
        return position;
    }

    public int count() {
        return count;
    }

    public long positionAt(int i) {
        return positions[i];
    }

    /** The row's JSON after its position column: {@code ,v1,v2,...} (may be empty for a stream with no fields). */
    public byte[] tailAt(int i) {
        return tails[i];
    }
}

package io.synrep.http;

import io.synrep.log.Page;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.PollAnswer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON of a poll response ({@link PollAnswer}), produced lazily as the server writes it: rows are pre-encoded
 * tails, so a page of any size is copied out in small pieces without building the whole body in memory.
 */
final class ResponseBody extends InputStream {
    private final List<Object> parts = new ArrayList<>();
    private int part;
    private byte[] current = new byte[0];
    private int offset;
    private int rowIndex = -1;
    private boolean firstRow;
    private long lastPosition;
    private byte[] lastPositionBytes;
    private DataInputStream spill;
    private final ByteArrayOutputStream chunk = new ByteArrayOutputStream(9000);
    private final Releaser releaser;
    private final Cleaner.Cleanable cleanup;

    ResponseBody(Map<String, Page> pages, Map<String, byte[]> fieldNamesJson, byte[] metaJson) {
        parts.add(PollAnswer.open());
        boolean first = true;
        for (Page p : pages.values()) {
            parts.add(PollAnswer.streamStart(first, p.stream(), p.position()));
            first = false;
            parts.add(fieldNamesJson.get(p.stream()));
            parts.add(PollAnswer.rowsStart());
            parts.add(p);
            parts.add(PollAnswer.streamEnd());
        }
        if (metaJson != null) {
            parts.add(PollAnswer.member(first, Endpoint.META_STREAM));
            parts.add(metaJson);
        }
        parts.add(PollAnswer.close());
        releaser = new Releaser(List.copyOf(pages.values()));
        cleanup = CLEANER.register(this, releaser);
    }

    private static final Cleaner CLEANER = Cleaner.create();

    @Override
    public int read() {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        int written = 0;
        while (written < len) {
            if (offset == current.length && !advance()) {
                break;
            }
            int n = Math.min(len - written, current.length - offset);
            System.arraycopy(current, offset, b, off + written, n);
            offset += n;
            written += n;
        }
        return written == 0 ? -1 : written;
    }

    /** Moves to the next non-empty chunk; false at the end. */
    private boolean advance() {
        try {
            return nextChunk();
        } catch (IOException e) {
            throw new UncheckedIOException("reading spilled rows: " + e.getMessage(), e);
        }
    }

    private boolean nextChunk() throws IOException {
        while (part < parts.size()) {
            Object p = parts.get(part);
            if (p instanceof byte[] bytes) {
                part++;
                rowIndex = -1;
                if (bytes.length > 0) {
                    current = bytes;
                    offset = 0;
                    return true;
                }
                continue;
            }
            Page page = (Page) p;
            if (rowIndex < 0) {
                rowIndex = 0;
                firstRow = true;
            }
            if (rowIndex >= page.count()) {
                part++;
                rowIndex = -1;
                continue;
            }
            // batch rows into chunks of about 8 KB to keep write calls coarse
            chunk.reset();
            while (rowIndex < page.count() && chunk.size() < 8192) {
                byte[] pos = positionBytes(page.positionAt(rowIndex));
                if (page.isRow(rowIndex)) {
                    row(pos, page.tailAt(rowIndex));
                    rowIndex++;
                    continue;
                }
                if (spill == null) {
                    spill = page.openSpilled(rowIndex);
                    releaser.spill = spill;
                }
                while (chunk.size() < 8192) {
                    int len;
                    try {
                        len = spill.readInt();
                    } catch (EOFException end) {
                        spill.close();
                        spill = null;
                        releaser.spill = null;
                        rowIndex++;
                        break;
                    }
                    row(pos, spill.readNBytes(len));
                }
            }
            current = chunk.toByteArray();
            offset = 0;
            return true;
        }
        return false;
    }

    /** A transaction's rows share one position: encode it once per run of equal positions. */
    private byte[] positionBytes(long position) {
        if (lastPositionBytes == null || position != lastPosition) {
            lastPosition = position;
            lastPositionBytes = PollAnswer.position(position);
        }
        return lastPositionBytes;
    }

    private void row(byte[] pos, byte[] tail) {
        PollAnswer.writeRow(chunk, firstRow, pos, tail);
        firstRow = false;
    }

    /** Releases the spilled rows this body kept alive; called by the server when the response is done. */
    @Override
    public void close() throws IOException {
        cleanup.clean();
    }

    /** Releases pages and closes an open spill file; runs once, on close or when the body is collected. */
    private static final class Releaser implements Runnable {
        private final List<Page> pages;
        volatile DataInputStream spill;

        Releaser(List<Page> pages) {
            this.pages = pages;
        }

        @Override
        public void run() {
            DataInputStream in = spill;
            if (in != null) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // released anyway
                }
            }
            pages.forEach(Page::release);
        }
    }
}

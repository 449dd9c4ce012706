package io.synrep.http;

import io.synrep.log.Page;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON of a poll response, produced lazily as the server writes it: rows are pre-encoded tails, so a
 * page of any size is copied out in small pieces without building the whole body in memory.
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
        StringBuilder head = new StringBuilder("{");
        boolean first = true;
        for (Page p : pages.values()) {
            head.append(first ? "" : ",").append('"').append(p.stream()).append("\":{\"position\":")
                    .append(p.position()).append(",\"field_names\":");
            first = false;
            parts.add(ascii(head));
            head.setLength(0);
            parts.add(fieldNamesJson.get(p.stream()));
            parts.add(ascii(new StringBuilder(",\"rows\":[")));
            parts.add(p);
            head.append("]}");
        }
        if (metaJson != null) {
            head.append(first ? "" : ",").append("\"").append(PollRequest.META).append("\":");
            parts.add(ascii(head));
            head.setLength(0);
            parts.add(metaJson);
        }
        head.append('}');
        parts.add(ascii(head));
        releaser = new Releaser(List.copyOf(pages.values()));
        cleanup = CLEANER.register(this, releaser);
    }

    private static final Cleaner CLEANER = Cleaner.create();

    private static byte[] ascii(StringBuilder sb) {
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

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
            lastPositionBytes = Long.toString(position).getBytes(StandardCharsets.US_ASCII);
        }
        return lastPositionBytes;
    }

    private void row(byte[] pos, byte[] tail) {
        if (!firstRow) {
            chunk.write(',');
        }
        firstRow = false;
        chunk.write('[');
        chunk.write(pos, 0, pos.length);
        chunk.write(tail, 0, tail.length);
        chunk.write(']');
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

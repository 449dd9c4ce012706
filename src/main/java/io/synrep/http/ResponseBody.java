package io.synrep.http;

import io.synrep.log.Page;
import java.io.ByteArrayOutputStream;
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
    }

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
        ByteArrayOutputStream rows = null;
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
            } else {
                Page page = (Page) p;
                if (rowIndex < 0) {
                    rowIndex = 0;
                }
                if (rowIndex >= page.count()) {
                    part++;
                    rowIndex = -1;
                    continue;
                }
                // batch a few rows into one chunk to keep write calls coarse
                if (rows == null) {
                    rows = new ByteArrayOutputStream(8192);
                }
                while (rowIndex < page.count() && rows.size() < 8192) {
                    if (rowIndex > 0) {
                        rows.write(',');
                    }
                    rows.write('[');
                    byte[] pos = Long.toString(page.positionAt(rowIndex)).getBytes(StandardCharsets.US_ASCII);
                    rows.write(pos, 0, pos.length);
                    byte[] tail = page.tailAt(rowIndex);
                    rows.write(tail, 0, tail.length);
                    rows.write(']');
                    rowIndex++;
                }
                current = rows.toByteArray();
                offset = 0;
                return true;
            }
        }
        return false;
    }
}

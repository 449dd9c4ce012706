package io.synrep.log;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Test helper: every row tail of a page, single rows and spilled rows alike, in order. */
public final class Pages {
    private Pages() {}

    /** Appends {@code tx} to a fresh unbounded log and returns {@code stream}'s rows as a reader would get them. */
    public static List<byte[]> readBack(Transaction tx, String stream) {
        java.util.Set<String> streams = new java.util.LinkedHashSet<>(tx.rows().keySet());
        streams.addAll(tx.spilled().keySet());
        streams.add(stream);
        StreamLog log = new StreamLog(streams, new io.synrep.config.RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE,
                java.time.Duration.ofDays(1)), java.time.InstantSource.fixed(java.time.Instant.EPOCH));
        log.start(tx.position() - 1);
        if (!log.append(tx)) {
            throw new AssertionError("transaction not appended");
        }
        Page page = log.read(java.util.Map.of(stream, tx.position() - 1), Integer.MAX_VALUE).pages().get(stream);
        if (page == null) {
            return List.of();
        }
        try {
            return tails(page);
        } finally {
            page.release();
        }
    }

    public static List<byte[]> tails(Page page) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < page.count(); i++) {
            if (page.isRow(i)) {
                out.add(page.tailAt(i));
                continue;
            }
            try (DataInputStream in = page.openSpilled(i)) {
                while (true) {
                    int len;
                    try {
                        len = in.readInt();
                    } catch (EOFException end) {
                        break;
                    }
                    out.add(in.readNBytes(len));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}

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

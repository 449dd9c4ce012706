package io.synrep.log;

import java.util.List;
import java.util.Map;

/**
 * A committed transaction's rows, ready to append: its commit position and, per stream, the encoded row tails in
 * WAL order.
 *
 * @param position commit LSN of the transaction
 * @param rows     stream name to row tails; streams without rows are absent
 */
public record Transaction(long position, Map<String, List<byte[]>> rows) {
    public int rowCount() {
        int n = 0;
        for (List<byte[]> list : rows.values()) {
            n += list.size();
        }
        return n;
    }
}

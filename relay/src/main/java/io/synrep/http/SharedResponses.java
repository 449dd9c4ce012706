package io.synrep.http;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Encoded poll responses shared by readers that ask the same question, so that N readers at one position cost one
 * encoding, not N.
 *
 * <p>Why sharing is correct: a response is a function of the log's generation (it changes only when the log is
 * reset to a new WAL history), its head, the request's tokens (as given and as resolved), its limit and whether it
 * asked for the meta stream. Rows at positions up to the head are never changed, only dropped from the oldest end,
 * and a request is only answered after {@link io.synrep.log.StreamLog#read} has checked that its tokens are not
 * below the horizon. So two reads with the same key produce the same bytes, and the key, which holds the head, is
 * never reused for a different answer. The epoch header is not part of the body and is set per response.
 *
 * <p>Only bodies whose rows are all on the heap and at most {@link #MAX_BODY_BYTES} long are shared (large and
 * spilled pages stay streamed). Entries are dropped least-recently-used first beyond a byte budget.
 *
 * <p>Thread-safe. Concurrent requests for the same key wait for the first one's encoding instead of repeating it.
 */
final class SharedResponses {
    /** Bodies estimated larger than this are streamed per response, never held whole. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private final long budgetBytes;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    SharedResponses(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    /** What a response body depends on; see the class comment. */
    /**
     * @param tokens per requested stream, in request order: its name, its token as given, its resolved token
     */
    record Key(long generation, long head, int limit, boolean meta, List<Object> tokens) {}

    /**
     * The body for {@code key}: encoded by {@code encode} if no other request has encoded it yet, else the shared
     * bytes (waiting for an encoding in progress). The returned array must not be modified.
     */
    byte[] body(Key key, Supplier<byte[]> encode) {
        Entry e;
        synchronized (entries) {
            e = entries.computeIfAbsent(key, k -> new Entry());
        }
        byte[] body = e.body(encode);
        synchronized (entries) {
            if (!e.counted && entries.get(key) == e) {
                e.counted = true;
                bytes += body.length;
                trim();
            }
        }
        return body;
    }

    /** Bytes of encoded bodies currently held. */
    long heldBytes() {
        synchronized (entries) {
            return bytes;
        }
    }

    private void trim() {
        Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
        while (bytes > budgetBytes && it.hasNext()) {
            Entry e = it.next().getValue();
            if (e.counted) {
                bytes -= e.length();
            }
            it.remove();
        }
    }

    /** One body, encoded at most once. */
    private static final class Entry {
        private byte[] body;
        boolean counted; // guarded by the map's lock

        synchronized byte[] body(Supplier<byte[]> encode) {
            if (body == null) {
                body = encode.get();
            }
            return body;
        }

        synchronized int length() {
            return body == null ? 0 : body.length;
        }
    }
}

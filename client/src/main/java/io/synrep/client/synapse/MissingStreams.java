package io.synrep.client.synapse;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The followed streams the relay does not serve, as the reader last learned them, and the check every store read
 * makes: a read whose cache only those streams invalidate fails instead of answering from a cache nothing
 * invalidates. Empty until the relay's catalog is known. Thread-safe: the reader thread sets, readers check.
 */
final class MissingStreams {
    private volatile Set<String> missing = Set.of();

    void set(Set<String> streams) {
        missing = Set.copyOf(streams);
    }

    Set<String> get() {
        return missing;
    }

    /**
     * Fails when any of {@code needs} is missing.
     *
     * @param what what the read returns, for the message ("receipts", "push rules")
     * @throws StoreException naming the streams and why the read cannot be answered
     */
    void require(String what, List<String> needs) {
        Set<String> now = missing;
        if (now.isEmpty()) {
            return;
        }
        List<String> absent = new ArrayList<>();
        for (String s : needs) {
            if (now.contains(s)) {
                absent.add(s);
            }
        }
        if (!absent.isEmpty()) {
            String streams = absent.size() == 1 ? "stream " + absent.get(0) + " is" : "streams "
                    + String.join(", ", absent) + " are";
            throw new StoreException(streams + " not served by the relay: " + what
                    + " read here would never be invalidated", null);
        }
    }
}

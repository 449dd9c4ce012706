package io.synrep.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Parks many long-polls at one position in a relay, in batches its listener accepts, and collects their answers. */
final class Readers {
    private Readers() {}

    /**
     * Sends {@code n} long-polls for {@code device_lists} after {@code token} and waits until the relay holds all
     * of them (so that every one is waiting before the caller writes).
     */
    static List<CompletableFuture<Poller.Reply>> park(RelayChild relay, Poller poller, long token, int n,
                                                      long timeoutMillis) throws Exception {
        int already = relay.health().path("waiting").asInt();
        List<CompletableFuture<Poller.Reply>> replies = new ArrayList<>(n);
        int batch = 250;
        for (int sent = 0; sent < n; ) {
            int k = Math.min(batch, n - sent);
            for (int i = 0; i < k; i++) {
                replies.add(poller.poll("device_lists", Long.toString(token), timeoutMillis, 100, false));
            }
            sent += k;
            relay.awaitWaiting(already + sent, Duration.ofSeconds(120));
        }
        return replies;
    }

    /** Waits for every reply; returns the number of rows they carried in total. */
    static long await(List<CompletableFuture<Poller.Reply>> replies, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        long rows = 0;
        for (CompletableFuture<Poller.Reply> f : replies) {
            long left = Math.max(1, deadline - System.nanoTime());
            rows += f.get(left, TimeUnit.NANOSECONDS).rows();
        }
        return rows;
    }
}

package io.synrep.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Scenario 3, idle readers: many long-polls parked at once in one relay process. The relay's live heap (after a
 * full collection) and thread count are taken before and while they wait; then one commit answers them all.
 */
final class IdleScenario {
    private final BenchDatabase db;
    private final RelayChild relay;
    private final double scale;
    private final PrintStream out;
    private final java.nio.file.Path profileDir;

    /** @param profileDir where to write the relay's class histogram while the requests wait, or null */
    IdleScenario(BenchDatabase db, RelayChild relay, double scale, PrintStream out, java.nio.file.Path profileDir) {
        this.db = db;
        this.relay = relay;
        this.scale = scale;
        this.out = out;
        this.profileDir = profileDir;
    }

    List<Result> run() throws Exception {
        int n = Bench.scaledCount(10_000, scale);
        try (Poller warm = new Poller(relay.base(), 1)) {
            // load the classes and warm the code of the waiting path before the heap is measured
            long at = relay.health().path("position").asLong();
            List<CompletableFuture<Poller.Reply>> replies = Readers.park(relay, warm, at, Math.min(n, 100), 600_000);
            db.writeRow();
            Readers.await(replies, Duration.ofSeconds(60));
        }
        relay.awaitWaiting(0, Duration.ofSeconds(60));
        long heapBefore = relay.liveHeapBytes();
        int threadsBefore = relay.threads();
        long token = relay.health().path("position").asLong();
        out.printf("[3] idle: relay heap %s, %d threads; parking %,d long-polls%n", mb(heapBefore), threadsBefore, n);
        try (Poller poller = new Poller(relay.base(), 2)) {
            List<CompletableFuture<Poller.Reply>> replies = Readers.park(relay, poller, token, n, 600_000);
            long heapDuring = relay.liveHeapBytes();
            int threadsDuring = relay.threads();
            out.printf("[3]   %,d waiting: relay heap %s, %d threads%n", n, mb(heapDuring), threadsDuring);
            if (profileDir != null) {
                java.nio.file.Path histogram = profileDir.resolve("idle-relay-histogram.txt");
                java.nio.file.Files.writeString(histogram, relay.classHistogram());
                out.println("[3]   class histogram of the relay while they wait: " + histogram);
            }
            long started = System.nanoTime();
            db.writeRow();
            long rows = Readers.await(replies, Duration.ofSeconds(120));
            double answered = (System.nanoTime() - started) / 1e6;
            if (rows != n) {
                throw new IllegalStateException(n + " waiting readers received " + rows + " rows, expected one each");
            }
            out.printf("[3]   one commit answered all %,d within %.0f ms%n", n, answered);
            if (heapBefore < 0) {
                return List.of(new Result(String.format("3. idle: %,d waiting long-polls", n), "heap not measured "
                        + "(no jcmd)", "-", "-", "<= 8 KB heap per request, no thread per request", null));
            }
            double perRequest = (heapDuring - heapBefore) / (double) n;
            int threadGrowth = threadsDuring - threadsBefore;
            // a thread per request would add n threads; a pool growing during the burst of connections adds a few
            boolean met = perRequest <= 8 * 1024 && threadGrowth < Math.max(50, n / 20);
            return List.of(new Result(String.format("3. idle: %,d waiting long-polls (heap per request)", n),
                    String.format("%.1f KB/request (heap %s -> %s), threads %d -> %d; all answered %.0f ms after one "
                            + "commit", perRequest / 1024, mb(heapBefore), mb(heapDuring), threadsBefore,
                            threadsDuring, answered),
                    "-", "-", "<= 8 KB/request, no thread per request", met));
        }
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "?" : String.format("%.1f MB", bytes / 1048576.0);
    }
}

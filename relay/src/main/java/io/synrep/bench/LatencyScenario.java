package io.synrep.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenario 2, latency: a writer commits single-row transactions at a steady 1,000 rows/s while N readers long-poll
 * the relay; for every row and every reader, the time from {@code commit()} returning on the writer to the reader
 * having the response that carries the row. The first second of each run is not counted.
 */
final class LatencyScenario {
    static final int RATE = 1_000;
    private static final int WRITERS = 4;
    private final BenchDatabase db;
    private final RelayChild relay;
    private final double scale;
    private final PrintStream out;

    LatencyScenario(BenchDatabase db, RelayChild relay, double scale, PrintStream out) {
        this.db = db;
        this.relay = relay;
        this.scale = scale;
        this.out = out;
    }

    List<Result> run() throws Exception {
        List<Result> results = new ArrayList<>();
        int seconds = (int) Math.max(3, Math.round(15 * scale));
        int previous = 0;
        for (int n : new int[] {1, 100, 1000}) {
            int readers = Bench.scaledCount(n, scale);
            if (readers != previous) {
                results.add(measure(readers, n == 1000, seconds));
            }
            previous = readers;
        }
        return results;
    }

    private Result measure(int readers, boolean judged, int seconds) throws Exception {
        int listeners = Math.min(readers, NotifyBaseline.MAX_LISTENERS);
        Histogram notify = new NotifyBaseline(db).measure(listeners, seconds);
        out.printf("[2]   baseline, PostgreSQL LISTEN/NOTIFY, %,d listener(s): p50 %.1f ms, p99 %.1f ms%n", listeners,
                notify.quantileMillis(0.5), notify.quantileMillis(0.99));
        String baseline = String.format("NOTIFY, %,d listener%s: p50 %.1f / p99 %.1f", listeners,
                listeners == 1 ? "" : "s", notify.quantileMillis(0.5), notify.quantileMillis(0.99));
        Result r = measureRelay(readers, judged, seconds);
        double ratio = Double.parseDouble(r.synrep().replaceAll("^p50 [\\d.]+ / p99 ([\\d.]+).*$", "$1"))
                / notify.quantileMillis(0.99);
        return new Result(r.scenario(), r.synrep(), baseline, String.format("%.1fx (p99)", ratio), r.target(),
                r.met());
    }

    private Result measureRelay(int readers, boolean judged, int seconds) throws Exception {
        int total = RATE * seconds;
        int warmup = RATE; // the first second
        long first = db.reserve(total);
        AtomicLongArray committedAt = new AtomicLongArray(total);
        Histogram h = new Histogram();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong errors = new AtomicLong();
        AtomicLong received = new AtomicLong();
        long token = relay.health().path("position").asLong();
        try (Poller poller = new Poller(relay.base(), 2, Math.max(1, Math.min(8, readers / 100)))) {
            for (int i = 0; i < readers; i++) {
                read(poller, Long.toString(token), first, total, warmup, committedAt, h, stop, errors, received);
                if (i % 100 == 99) {
                    relay.awaitWaiting(i + 1, Duration.ofSeconds(60));
                }
            }
            relay.awaitWaiting(readers, Duration.ofSeconds(60));
            out.printf("[2] latency: %,d readers waiting; writing %,d rows/s for %d s%n", readers, RATE, seconds);
            long responsesBefore = relay.health().path("responses").asLong();
            long relayCpuBefore = relay.cpuMillis();
            long ownCpuBefore = ownCpuMillis();
            long cpuWindowStart = System.nanoTime();
            long writeNanos = write(first, total, committedAt);
            double rate = total / (writeNanos / 1e9);
            long expected = (long) (total - warmup) * readers;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (received.get() < (long) total * readers && System.nanoTime() < deadline && errors.get() == 0) {
                Thread.sleep(20);
            }
            long relayCpu = relay.cpuMillis() - relayCpuBefore;
            long ownCpu = ownCpuMillis() - ownCpuBefore;
            double relayShare = relayCpu * 100.0 / ((System.nanoTime() - cpuWindowStart) / 1e6); // % of one core
            long responses = Math.max(1, relay.health().path("responses").asLong() - responsesBefore);
            stop.set(true);
            db.writeRow(); // one more row (outside the measured range) answers the requests still parked
            relay.awaitWaiting(0, Duration.ofSeconds(60));
            if (errors.get() > 0) {
                throw new IllegalStateException(errors.get() + " reader requests failed");
            }
            if (h.count() != expected) {
                throw new IllegalStateException("readers received " + h.count() + " of " + expected + " rows");
            }
            out.printf("[2]   %,d readers: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %,d deliveries (writer at "
                    + "%,.0f rows/s); %,d responses (%.1f rows each); CPU per response: relay %.0f us, bench JVM "
                    + "(readers and writer) %.0f us; relay CPU %.0f%% of one core%n", readers, h.quantileMillis(0.5), h.quantileMillis(0.99),
                    h.maxMillis(), h.count(), rate, responses, (double) total * readers / responses,
                    relayCpu * 1000.0 / responses, ownCpu * 1000.0 / responses, relayShare);
            double p99 = h.quantileMillis(0.99);
            return new Result(String.format("2. latency commit->reader, %,d readers, %,.0f rows/s (ms)", readers, rate),
                    String.format("p50 %.1f / p99 %.1f (max %.0f); %,d responses, relay CPU %.0f%%",
                            h.quantileMillis(0.5), p99, h.maxMillis(), responses, relayShare),
                    "-", "-", judged ? "p99 <= 25 ms" : "(information)", judged ? p99 <= 25 : null);
        }
    }

    private static long ownCpuMillis() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1_000_000;
        }
        return 0;
    }

    /** One reader: long-polls, records each row's latency, polls again from the new position until stopped. */
    private void read(Poller poller, String token, long first, int total, int warmup, AtomicLongArray committedAt,
                      Histogram h, AtomicBoolean stop, AtomicLong errors, AtomicLong received) {
        poller.poll("device_lists", token, 10_000, 1_000, true).whenComplete((reply, failure) -> {
            if (failure != null) {
                errors.incrementAndGet();
                return;
            }
            for (long id : reply.streamIds()) {
                int k = (int) (id - first);
                if (k < 0 || k >= total) {
                    continue;
                }
                received.incrementAndGet();
                if (k >= warmup) {
                    long c = committedAt.get(k);
                    // 0: the reader had the row before the writer's commit() returned
                    h.record(c == 0 ? 0 : (reply.receivedNanos() - c) / 1_000);
                }
            }
            if (!stop.get()) {
                String next = reply.position() >= 0 ? Long.toString(reply.position()) : token;
                read(poller, next, first, total, warmup, committedAt, h, stop, errors, received);
            }
        });
    }

    private long write(long first, int total, AtomicLongArray committedAt) throws Exception {
        return write(db, "device_lists_stream", first, total, committedAt);
    }

    /**
     * Commits rows {@code first..first+total-1} into {@code table} one per transaction from {@value #WRITERS}
     * connections, row k due k ms after the start; records when each commit returned. Returns the elapsed time.
     */
    static long write(BenchDatabase db, String table, long first, int total, AtomicLongArray committedAt)
            throws Exception {
        long start = System.nanoTime() + 5_000_000;
        List<Thread> threads = new ArrayList<>();
        AtomicLong failures = new AtomicLong();
        for (int w = 0; w < WRITERS; w++) {
            int lane = w;
            Thread t = new Thread(() -> {
                try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO " + table + " (stream_id, user_id, device_id) VALUES (?, ?, ?)")) {
                    c.setAutoCommit(true);
                    for (int k = lane; k < total; k += WRITERS) {
                        long due = start + k * (1_000_000_000L / RATE);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                        ps.setLong(1, first + k);
                        ps.setString(2, "@user" + (k % 1000) + ":bench.test");
                        ps.setString(3, "LATENCY" + k);
                        ps.executeUpdate();
                        committedAt.set(k, System.nanoTime());
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
            }, "bench-writer-" + w);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failures.get() > 0) {
            throw new IllegalStateException("a latency writer failed");
        }
        return System.nanoTime() - start;
    }
}

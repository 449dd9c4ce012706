package io.synrep.bench;

import io.synrep.Relay;
import io.synrep.config.CaptureConfig;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Scenario 1, capture throughput: N single-row transactions and one large transaction, decoded from the same WAL by
 * {@code pg_recvlogical} and by a relay until a reader has every row over HTTP.
 *
 * <p>Every decoder gets its own slot, created before the shape's WAL is written, so all start at the same position.
 * The relays run in this JVM, one after another: the first pass (a "warm-up" slot that covers both shapes) is a
 * fresh JVM; the passes measured for the table come after it, in a warm JVM, like a relay that has been running.
 * Times run from {@code Relay.start} (slot checks, Debezium start) to the last row received by the reader.
 */
final class CaptureScenario {
    private static final int RECV_RUNS = 3;
    private static final int RELAY_RUNS = 2;
    private final BenchDatabase db;
    private final long singles;
    private final long large;
    private final Path work;
    private final PrintStream out;

    CaptureScenario(BenchDatabase db, double scale, Path work, PrintStream out) {
        this.db = db;
        this.singles = Math.max(100, Math.round(200_000 * scale));
        this.large = Math.max(100, Math.round(1_000_000 * scale));
        this.work = work;
        this.out = out;
    }

    List<Result> run() throws Exception {
        out.printf("[1] capture: writing %,d single-row transactions, then one %,d-row transaction%n", singles, large);
        List<String> slots = new ArrayList<>();
        Map<String, Path> relays = new HashMap<>();
        prepareRelay(slots, relays, "bench_warm");
        for (int i = 1; i <= RECV_RUNS; i++) {
            slot(slots, "bench_recv_s" + i);
        }
        for (int i = 1; i <= RELAY_RUNS; i++) {
            prepareRelay(slots, relays, "bench_relay_s" + i);
        }
        long t0 = System.nanoTime();
        db.write(singles, 1);
        long endSingles = db.currentLsn();
        out.printf("[1]   written in %.1f s%n", seconds(System.nanoTime() - t0));
        for (int i = 1; i <= RECV_RUNS; i++) {
            slot(slots, "bench_recv_l" + i);
        }
        for (int i = 1; i <= RELAY_RUNS; i++) {
            prepareRelay(slots, relays, "bench_relay_l" + i);
        }
        t0 = System.nanoTime();
        db.writeOneTransaction(large);
        long endLarge = db.currentLsn();
        out.printf("[1]   written in %.1f s%n", seconds(System.nanoTime() - t0));

        Optional<RecvLogical> recv = RecvLogical.find();
        List<Double> recvSingles = new ArrayList<>();
        List<Double> recvLarge = new ArrayList<>();
        if (recv.isPresent()) {
            for (int i = 1; i <= RECV_RUNS; i++) {
                recvSingles.add(rate(singles, recv.get().drain(db.port(), "bench_recv_s" + i, endSingles)));
                recvLarge.add(rate(large, recv.get().drain(db.port(), "bench_recv_l" + i, endLarge)));
                out.printf("[1]   pg_recvlogical run %d: %,.0f rows/s (single-row), %,.0f rows/s (large)%n", i,
                        recvSingles.get(i - 1), recvLarge.get(i - 1));
            }
        } else {
            out.println("[1]   pg_recvlogical not found on PATH or under /usr/lib/postgresql/*/bin: no baseline");
        }

        // the first relay pass in this JVM: cold JIT, both shapes from one slot
        long[] marks = relayPass(relays, "bench_warm", singles, singles + large);
        double coldSingles = rate(singles, marks[0]);
        double coldLarge = rate(large, marks[1] - marks[0]);
        out.printf("[1]   relay, fresh JVM: %,.0f rows/s (single-row), %,.0f rows/s (large, from the end of the "
                + "single-row ones)%n", coldSingles, coldLarge);
        List<Double> warmSingles = new ArrayList<>();
        List<Double> warmLarge = new ArrayList<>();
        for (int i = 1; i <= RELAY_RUNS; i++) {
            warmSingles.add(rate(singles, relayPass(relays, "bench_relay_s" + i, singles)[0]));
            warmLarge.add(rate(large, relayPass(relays, "bench_relay_l" + i, large)[0]));
            out.printf("[1]   relay, warm JVM, run %d: %,.0f rows/s (single-row), %,.0f rows/s (large)%n", i,
                    warmSingles.get(i - 1), warmLarge.get(i - 1));
        }
        for (String s : slots) {
            db.dropSlot(s);
        }
        String what = recv.isPresent() ? "pg_recvlogical " : "";
        List<Result> results = new ArrayList<>();
        results.add(compare(String.format("1. capture, %,d single-row tx, warm JVM (rows/s)", singles), warmSingles,
                recvSingles, recv.isPresent(), true));
        results.add(compare(String.format("1. capture, one %,d-row tx, warm JVM (rows/s)", large), warmLarge,
                recvLarge, recv.isPresent(), true));
        results.add(compare(String.format("1. capture, %,d single-row tx, fresh JVM (rows/s)", singles),
                List.of(coldSingles), recvSingles, recv.isPresent(), false));
        results.add(compare(String.format("1. capture, one %,d-row tx, fresh JVM (rows/s)", large), List.of(coldLarge),
                recvLarge, recv.isPresent(), false));
        return results;
    }

    private Result compare(String scenario, List<Double> synrep, List<Double> baseline, boolean haveBaseline,
                           boolean judged) {
        double s = Stats.median(synrep);
        String target = judged ? ">= 0.5x pg_recvlogical" : "(information)";
        if (!haveBaseline) {
            return new Result(scenario, Stats.describe(synrep), "pg_recvlogical not found", "-", target, null);
        }
        double b = Stats.median(baseline);
        double ratio = s / b;
        return new Result(scenario, Stats.describe(synrep), Stats.describe(baseline), String.format("%.2fx", ratio),
                target, judged ? ratio >= 0.5 : null);
    }

    private void slot(List<String> slots, String name) throws Exception {
        db.createSlot(name);
        slots.add(name);
    }

    /**
     * Creates {@code slot} and runs a relay on it until it has saved its resume position, before the WAL it will
     * decode is written. The measured pass restarts from this saved state, as a relay restarted after a pause does,
     * and replays the WAL written since; its timing then starts at a relay start, not at a slot creation.
     */
    private void prepareRelay(List<String> slots, Map<String, Path> relays, String slot) throws Exception {
        slot(slots, slot);
        Path dir = Files.createTempDirectory(work, slot);
        try (Relay relay = startRelay(dir, slot)) {
            Path state = dir.resolve("state.json");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(state) || !Files.readString(state).contains("lsn")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the relay on " + slot + " saved no resume position in 60 s");
                }
                Thread.sleep(50);
            }
        }
        relays.put(slot, dir);
    }

    private Relay startRelay(Path dir, String slot) {
        CaptureConfig capture = new CaptureConfig(db.jdbcUrl(), null, null, slot, BenchDatabase.PUBLICATION,
                Duration.ofSeconds(1), Duration.ofMillis(10), dir.resolve("spill"),
                CaptureConfig.DEFAULT_SPILL_THRESHOLD);
        RetentionConfig r = RetentionConfig.defaults();
        RetentionConfig retention = new RetentionConfig(5_000_000, r.maxBytes(), r.maxAge());
        return Relay.start(capture, HttpConfig.defaults().withListen("127.0.0.1", 0), retention, Catalog.builtin(),
                StateConfig.inDirectory(dir));
    }

    /**
     * Restarts the relay prepared on {@code slot} in this JVM, reads {@code device_lists} from the oldest position
     * until the given row counts have arrived, and returns the nanoseconds from start at which each was reached.
     */
    private long[] relayPass(Map<String, Path> relays, String slot, long... counts) throws Exception {
        Path dir = relays.get(slot);
        long[] marks = new long[counts.length];
        long started = System.nanoTime();
        try (Relay relay = startRelay(dir, slot);
             Poller poller = new Poller("http://127.0.0.1:" + relay.port(), 1)) {
            String token = Position.OLDEST_TOKEN;
            long rows = 0;
            int next = 0;
            long deadline = started + Duration.ofMinutes(30).toNanos();
            while (next < counts.length) {
                Poller.Reply reply = poller.poll("device_lists", token, 10_000, 10_000, false).get();
                rows += reply.rows();
                if (reply.position() >= 0) {
                    token = Long.toString(reply.position());
                }
                while (next < counts.length && rows >= counts[next]) {
                    marks[next++] = reply.receivedNanos() - started;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("relay on " + slot + " delivered only " + rows + " rows");
                }
            }
            if (rows != counts[counts.length - 1]) {
                throw new IllegalStateException("relay on " + slot + " delivered " + rows + " rows, expected "
                        + counts[counts.length - 1]);
            }
        }
        return marks;
    }

    static double rate(long rows, long nanos) {
        return rows / seconds(nanos);
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}

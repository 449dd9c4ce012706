package io.synrep.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code synrep bench}: starts its own PostgreSQL, runs the performance scenarios against it and prints one table
 * with Synrep's figure and its peer's, measured in the same run, for each.
 *
 * <p>Scenario 1 runs relays inside this JVM (so that a warm JVM can be measured, as a long-running relay is); the
 * others run against one relay started as a separate process ({@code synrep serve}), so that its heap, threads and
 * CPU are its own and the readers' sockets are not counted against its file descriptors.
 */
public final class Bench {
    /** What to run. */
    public record Plan(double scale, Set<Integer> scenarios, Path profileDir) {}

    private Bench() {}

    /**
     * A reader count for {@code n} at {@code scale}: the full count from scale 0.1 up, fewer below (at least 1), so
     * that a quick run stays quick.
     */
    static int scaledCount(int n, double scale) {
        return (int) Math.max(1, Math.round(n * Math.min(1.0, scale * 10)));
    }

    public static int run(Plan plan, PrintStream out) throws Exception {
        Path work = Files.createTempDirectory("synrep-bench");
        List<Result> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        jdk.jfr.Recording recording = null;
        try (BenchDatabase db = BenchDatabase.start()) {
            out.println("synrep bench: scale " + plan.scale() + ", scenarios " + plan.scenarios());
            machine(db, out, notes);
            if (plan.scenarios().contains(1)) {
                if (plan.profileDir() != null) {
                    recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                    recording.start();
                }
                results.addAll(new CaptureScenario(db, plan.scale(), work, out).run());
                if (recording != null) {
                    Path f = plan.profileDir().resolve("bench-capture.jfr");
                    recording.dump(f);
                    recording.close();
                    recording = null;
                    out.println("[1]   JFR recording of this JVM during scenario 1: " + f);
                }
                notes.add("Scenario 1: relays run in the bench JVM, one at a time, each on its own slot created before "
                        + "the WAL was written; 'fresh JVM' is the first relay of the run (cold JIT), 'warm JVM' the "
                        + "relays after it. Times run from Relay.start to the last row received over HTTP; "
                        + "pg_recvlogical from process start to exit at --endpos.");
            }
            if (plan.scenarios().stream().anyMatch(s -> s >= 2)) {
                results.addAll(served(db, plan, work, out, notes));
            }
        } finally {
            if (recording != null) {
                recording.close();
            }
            deleteTree(work);
        }
        results.sort(Comparator.comparing(Result::scenario, Comparator.comparing(s -> s.substring(0, 2))));
        out.println();
        out.println("Results (" + notes.get(0) + "):");
        out.println();
        Table.print(results, out);
        out.println();
        for (String note : notes.subList(1, notes.size())) {
            out.println("- " + note);
        }
        return 0;
    }

    /** Scenarios 2-5 against one relay process, warmed first by capturing and serving a batch of rows. */
    private static List<Result> served(BenchDatabase db, Plan plan, Path work, PrintStream out, List<String> notes)
            throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g"));
        if (plan.profileDir() != null) {
            jvm.add("-XX:StartFlightRecording=filename=" + plan.profileDir().resolve("bench-relay.jfr")
                    + ",settings=profile,dumponexit=true");
        }
        List<Result> results = new ArrayList<>();
        try (RelayChild relay = RelayChild.start(db.jdbcUrl(), "bench_serve", work.resolve("relay"), jvm)) {
            out.println("relay process " + relay.pid() + " (" + String.join(" ", jvm) + ") serving " + relay.base());
            relay.awaitCapturing(db, Duration.ofSeconds(60));
            long warm = Math.max(1_000, Math.round(200_000 * plan.scale()));
            long token = relay.health().path("position").asLong();
            db.write(warm, 100);
            relay.awaitPosition(db.marker(), Duration.ofMinutes(10));
            try (Poller poller = new Poller(relay.base(), 1)) {
                String at = Long.toString(token);
                for (long got = 0; got < warm; ) {
                    Poller.Reply r = poller.poll("device_lists", at, 1_000, CatchUpScenario.LIMIT, false).get();
                    got += r.rows();
                    at = r.position() >= 0 ? Long.toString(r.position()) : at;
                }
            }
            out.printf("relay warmed: captured and served %,d rows before the scenarios%n", warm);
            notes.add(String.format("Scenarios 2-5: one relay process (synrep serve %s, --retention-rows 5000000 --max-timeout-ms 600000), "
                    + "warmed by capturing and serving %,d rows first; readers are java.net.http clients in the bench "
                    + "JVM.", String.join(" ", jvm), warm));
            if (plan.scenarios().contains(4)) {
                results.addAll(new CatchUpScenario(db, relay, plan.scale(), out).run());
            }
            if (plan.scenarios().contains(2)) {
                results.addAll(new LatencyScenario(db, relay, plan.scale(), out).run());
            }
            if (plan.scenarios().contains(5)) {
                results.addAll(new FanOutScenario(db, relay, plan.scale(), out).run());
            }
            if (plan.profileDir() != null) {
                notes.add("JFR recording of the relay process: " + plan.profileDir().resolve("bench-relay.jfr"));
            }
        }
        db.dropSlot("bench_serve");
        if (plan.scenarios().contains(3)) {
            // a relay of its own, retaining nothing, so that the heap the waiting requests add is not hidden in the
            // noise of a heap full of retained rows
            try (RelayChild relay = RelayChild.start(db.jdbcUrl(), "bench_idle", work.resolve("idle-relay"),
                    List.of("-Xmx1g"))) {
                out.println("relay process " + relay.pid() + " (-Xmx1g) for scenario 3 serving " + relay.base());
                relay.awaitCapturing(db, Duration.ofSeconds(60));
                results.addAll(new IdleScenario(db, relay, plan.scale(), out, plan.profileDir()).run());
            }
            db.dropSlot("bench_idle");
            notes.add("Scenario 3: a second relay process (synrep serve -Xmx1g) that retains only the rows of the "
                    + "scenario; heap is the live heap after a full GC (jcmd GC.run, GC.heap_info), threads from "
                    + "/proc; it is warmed by parking and answering 100 requests first.");
        }
        return results;
    }

    private static void machine(BenchDatabase db, PrintStream out, List<String> notes) throws Exception {
        String cpu = "unknown CPU";
        Path info = Path.of("/proc/cpuinfo");
        if (Files.exists(info)) {
            cpu = Files.readAllLines(info).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        }
        String pg;
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW server_version")) {
            rs.next();
            pg = rs.getString(1);
        }
        String recv = RecvLogical.find().map(RecvLogical::binary).orElse("absent");
        String machine = String.format("%d cores (%s), %.0f GB RAM, Java %s, PostgreSQL %s (embedded, "
                + "synchronous_commit=on), pg_recvlogical: %s", Runtime.getRuntime().availableProcessors(), cpu,
                totalMemoryGb(), System.getProperty("java.version"), pg, recv);
        out.println("machine: " + machine);
        notes.add(machine);
    }

    private static double totalMemoryGb() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize() / 1e9;
        }
        return Double.NaN;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // temporary files; the OS cleans up eventually
                }
            });
        } catch (IOException ignored) {
            // nothing to clean
        }
    }
}

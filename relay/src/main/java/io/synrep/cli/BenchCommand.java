package io.synrep.cli;

import io.synrep.bench.Bench;
import io.synrep.config.Resolved;
import io.synrep.config.Setting;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** {@code synrep bench}: the performance scenarios against an embedded PostgreSQL, one table of figures. */
final class BenchCommand {
    static final Setting<Double> SCALE = Setting.number("scale", "F", 1.0,
            "multiply row counts (and, below 0.1, reader counts) by F, e.g. 0.01 for a quick run");
    static final Setting<String> ONLY = Setting.text("only", "LIST", "1,2,3,4,5",
            "run only these scenarios, e.g. 1,4");
    static final Setting<Path> PROFILE = Setting.path("profile", "DIR", null,
            "record JFR profiles: DIR/bench-capture.jfr (scenario 1, this JVM) and DIR/bench-relay.jfr (the relay "
                    + "process of scenarios 2-5)");
    static final Setting<Boolean> VERBOSE = Setting.flag("verbose", "show the relays' INFO logs");

    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("bench",
            List.of("performance scenarios against an embedded PostgreSQL, with baselines, as one table"), "[options]",
            List.of("Starts its own PostgreSQL (embedded, wal_level=logical, synchronous_commit=on), runs the",
                    "performance scenarios and prints one table: each scenario's Synrep figure next to its peer's,",
                    "measured in the same run, the ratio, the target and whether it was met.",
                    "",
                    "  1  capture throughput: single-row transactions and one large transaction, decoded from the",
                    "     same WAL by pg_recvlogical (pgoutput) and by a relay until a reader has every row",
                    "  2  latency: commit -> row received by long-polling readers, 1 / 100 / 1,000 readers",
                    "  3  idle readers: 10,000 waiting long-polls; relay heap per request and threads",
                    "  4  catch-up: a reader 1,000,000 rows behind pages to the head (peer: SELECT over JDBC)",
                    "  5  fan-out: N readers at one position cost one encoding, not N"),
            "Options:", List.of(SCALE, ONLY, PROFILE, VERBOSE),
            List.of("", "A full run takes about 10 minutes on 2 cores. Targets are for a 2-core machine; compare the",
                    "ratios, which are measured side by side, rather than absolute figures."), null);

    private BenchCommand() {}

    static int run(Resolved r, PrintStream out) throws Exception {
        double scale = r.get(SCALE);
        if (!(scale > 0 && scale <= 10)) {
            throw new UsageException("bench: --scale must be > 0 and <= 10, was " + scale);
        }
        Set<Integer> only = new TreeSet<>();
        for (String s : r.get(ONLY).split(",")) {
            String t = s.trim();
            if (!t.matches("[1-5]")) {
                throw new UsageException("bench: --only takes scenario numbers 1-5 separated by commas, was '"
                        + r.get(ONLY) + "'");
            }
            only.add(Integer.parseInt(t));
        }
        Path profile = r.get(PROFILE);
        if (profile != null) {
            Files.createDirectories(profile);
        }
        if (!r.get(VERBOSE)) {
            // the relays of the benchmark log at INFO to stderr: keep the table readable
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        return Bench.run(new Bench.Plan(scale, only, profile), out);
    }
}

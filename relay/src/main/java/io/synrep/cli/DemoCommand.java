package io.synrep.cli;

import io.synrep.Relay;
import io.synrep.config.HttpConfig;
import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.config.HostPort;
import io.synrep.config.Resolved;
import io.synrep.config.ServeSettings;
import io.synrep.config.Setting;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.Position;
import io.synrep.writer.SyntheticWriter;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** {@code synrep demo}: everything in one process, printing rows as they flow. */
final class DemoCommand {
    static final Setting<HostPort> LISTEN = ServeSettings.LISTEN;
    static final Setting<Double> RATE = Setting.number("rate", "N", 5.0, "writer transactions per second");
    static final Setting<Long> THREADS = Setting.integer("threads", 2, 1, 64, "writer threads");
    static final Setting<Duration> DURATION = Setting.duration("duration", null, Duration.ZERO, null,
            "stop after this long (default: until Ctrl-C)");
    static final Setting<Boolean> QUIET = Setting.flag("quiet", "do not print rows (only the URLs and progress)");

    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("demo",
            List.of("embedded PostgreSQL + Synapse schema + writer + relay + tail, in one process"), "[options]",
            List.of("Starts an embedded PostgreSQL (wal_level=logical), applies the Synapse schema, runs a",
                    "Synapse-like writer, the relay, and a tail reader that prints every row it receives.",
                    "Prints the URL to curl and the JDBC URL to write to with psql."),
            "Options:", List.of(LISTEN, RATE, THREADS, DURATION, QUIET), List.of(), null);

    private DemoCommand() {}

    static int run(Resolved r, PrintStream out) throws Exception {
        double rate = r.get(RATE);
        int threads = r.get(THREADS).intValue();
        Duration duration = r.get(DURATION);
        // the relay as serve would start it with nothing but --listen set
        ServeCommand.Options o = ServeCommand.Options.parse(List.of("--listen", r.get(LISTEN).toString()), Map.of());
        out.println("Starting an embedded PostgreSQL (wal_level=logical) ...");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null, 0)) {
            db.applySchema();
            try (Relay relay = Relay.start(o.capture(db.jdbcUrl(), null), o.http(), o.retention(),
                    io.synrep.streams.Catalog.builtin())) {
                HttpConfig h = o.http();
                String base = "http://" + h.host() + ":" + relay.port();
                out.println();
                out.println("Synrep demo is running.");
                out.println("  relay:  " + base + Endpoint.PATH);
                out.println("  curl:   curl '" + base + Endpoint.PATH + "?events=-1&receipts=-1&timeout=30000'");
                out.println("  health: curl " + base + "/health");
                out.println("  write:  psql -h localhost -p " + db.port() + " -U postgres postgres   (JDBC: "
                        + db.jdbcUrl() + ")");
                out.println("Rows follow as {\"stream\":...,\"position\":...,\"row\":{...}}; Ctrl-C stops.");
                out.println();
                SyntheticWriter writer = new SyntheticWriter(db.jdbcUrl(), null, null, rate, threads, duration, 1L, null);
                Thread writerThread = new Thread(() -> {
                    try {
                        writer.run();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "synrep-demo-writer");
                writerThread.setDaemon(true);
                writerThread.start();
                long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos() + 2_000_000_000L;
                PrintStream rows = r.get(QUIET) ? new PrintStream(java.io.OutputStream.nullOutputStream()) : out;
                TailCommand.Tail tail = new TailCommand.Tail(URI.create(base), Position.OLDEST_TOKEN, 100, 1_000, Long.MAX_VALUE, rows,
                        System.err, RelayTrust.client("demo", null), o.authSecret());
                Runtime.getRuntime().addShutdownHook(new Thread(writer::stop));
                tail.run(null, () -> System.nanoTime() > deadline);
                writer.stop();
                out.println("demo finished: " + relay.capture().transactions() + " transactions, "
                        + relay.capture().rows() + " rows relayed");
            }
        }
        return 0;
    }
}

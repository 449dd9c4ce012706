package io.synrep.cli;

import io.synrep.Relay;
import io.synrep.config.HttpConfig;
import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.Position;
import io.synrep.writer.SyntheticWriter;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** {@code synrep demo}: everything in one process, printing rows as they flow. */
final class DemoCommand {
    static final String HELP = """
            Usage: synrep demo [options]

            Starts an embedded PostgreSQL (wal_level=logical), applies the Synapse schema, runs a
            Synapse-like writer, the relay, and a tail reader that prints every row it receives.
            Prints the URL to curl and the JDBC URL to write to with psql.

            Options:
              --listen HOST:PORT  relay listener (default 127.0.0.1:9099)
              --rate N            writer transactions per second (default 5)
              --threads T         writer threads (default 2)
              --duration D        stop after this long (default: until Ctrl-C)
              --quiet             do not print rows (only the URLs and progress)
              --help              this text
            """;

    private DemoCommand() {}

    static int run(List<String> argv, PrintStream out) throws Exception {
        Args a = Args.parse("demo", argv, Set.of("listen", "rate", "threads", "duration", "quiet!"));
        double rate = a.getDouble("rate", 5);
        int threads = (int) a.getLong("threads", 2, 1, 64);
        Duration duration = a.getDuration("duration", null);
        ServeCommand.Options o = ServeCommand.Options.from(Args.parse("demo", a.has("listen")
                ? List.of("--listen", a.get("listen", null)) : List.of(), ServeCommand.OPTIONS));
        out.println("Starting an embedded PostgreSQL (wal_level=logical) ...");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null, 0)) {
            db.applySchema();
            try (Relay relay = Relay.start(o.capture(db.jdbcUrl(), null), o.http, o.retention,
                    io.synrep.streams.Catalog.builtin())) {
                HttpConfig h = o.http;
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
                PrintStream rows = a.flag("quiet") ? new PrintStream(java.io.OutputStream.nullOutputStream()) : out;
                TailCommand.Tail tail = new TailCommand.Tail(URI.create(base), Position.OLDEST_TOKEN, 100, 1_000, Long.MAX_VALUE, rows,
                        System.err, RelayTrust.client("demo", null), o.authSecret);
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

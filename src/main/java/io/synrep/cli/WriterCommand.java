package io.synrep.cli;

import io.synrep.writer.SyntheticWriter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** {@code synrep writer}: Synapse-like writes against a database, with progress lines. */
final class WriterCommand {
    static final String HELP = """
            Usage: synrep writer --pg-url URL [options]

            Writes like a Synapse main process: events (with state and redactions, some backfilled),
            receipts, presence, account data, tags, push rules, pushers, to-device messages, device
            lists, public room list changes and cache invalidations, from several threads at once so
            that commit order differs from stream-id order. Prints progress every 5 s.

            Options:
              --pg-url URL        the database (schema from sql/schema.sql must exist; see --apply-schema)
              --pg-user NAME      login role (default: from the URL)
              --pg-password PW    its password (default: from the URL or $SYNREP_PG_PASSWORD)
              --rate N            transactions per second over all threads (default 100; 0 = unlimited)
              --threads T         concurrent connections (default 4)
              --duration D        stop after this long (default: until Ctrl-C), e.g. 30s, 5m
              --seed N            random seed (default 1)
              --apply-schema      apply sql/schema.sql first (idempotent)
              --help              this text
            """;

    private WriterCommand() {}

    static int run(List<String> argv, PrintStream out) throws Exception {
        Args a = Args.parse("writer", argv, Set.of("pg-url", "pg-user", "pg-password", "rate", "threads",
                "duration", "seed", "apply-schema!"));
        String url = a.get("pg-url", null);
        if (url == null) {
            throw new Args.UsageException("writer: --pg-url is required (the JDBC URL that 'synrep serve' prints)");
        }
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new Args.UsageException("writer: --pg-url must look like jdbc:postgresql://HOST:PORT/DB, was " + url);
        }
        double rate = a.getDouble("rate", 100);
        if (rate < 0) {
            throw new Args.UsageException("writer: --rate must be >= 0");
        }
        int threads = (int) a.getLong("threads", 4, 1, 256);
        Duration duration = a.getDuration("duration", null);
        String password = a.get("pg-password", System.getenv("SYNREP_PG_PASSWORD"));
        if (a.flag("apply-schema")) {
            java.util.Properties p = new java.util.Properties();
            if (a.has("pg-user")) {
                p.setProperty("user", a.get("pg-user", null));
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, p)) {
                SyntheticWriter.applySchema(c);
            }
            out.println("schema applied");
        }
        SyntheticWriter writer = new SyntheticWriter(url, a.get("pg-user", null), password, rate, threads, duration,
                a.getLong("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE), out);
        Thread hook = new Thread(writer::stop, "synrep-writer-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        SyntheticWriter.Stats s = writer.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        out.printf("writer done: %d transactions, %d rows, %d errors in %.1f s (%.0f tx/s)%n", s.transactions(),
                s.rows(), s.errors(), s.elapsed().toMillis() / 1000.0,
                s.transactions() / Math.max(0.001, s.elapsed().toMillis() / 1000.0));
        return s.errors() > 0 && s.transactions() == 0 ? 1 : 0;
    }
}

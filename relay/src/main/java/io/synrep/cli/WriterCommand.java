package io.synrep.cli;

import io.synrep.writer.SyntheticWriter;
import io.synrep.config.Resolved;
import io.synrep.config.Setting;
import io.synrep.config.Settings;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/** {@code synrep writer}: Synapse-like writes against a database, with progress lines. */
final class WriterCommand {
    static final Setting<String> PG_URL = Setting.text("pg-url", "URL", null, Settings::jdbcUrl,
            "the database (schema from sql/schema.sql must exist; see --apply-schema)");
    static final Setting<String> PG_USER = Setting.text("pg-user", "NAME", null, "login role (default: from the URL)");
    static final Setting<String> PG_PASSWORD = Setting.text("pg-password", "PW", null,
            "its password (default: from the URL or $SYNREP_PG_PASSWORD)").secret();
    static final Setting<Double> RATE = Setting.number("rate", "N", 100.0,
            "transactions per second over all threads (0 = unlimited)");
    static final Setting<Long> THREADS = Setting.integer("threads", 4, 1, 256, "concurrent connections");
    static final Setting<Duration> DURATION = Setting.duration("duration", null, Duration.ZERO, null,
            "stop after this long (default: until Ctrl-C), e.g. 30s, 5m");
    static final Setting<Long> SEED = Setting.integer("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE, "random seed");
    static final Setting<Boolean> APPLY_SCHEMA = Setting.flag("apply-schema", "apply sql/schema.sql first (idempotent)");

    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("writer",
            List.of("a Synapse-like writer producing concurrent transactions"), "--pg-url URL [options]",
            List.of("Writes like a Synapse main process: events (with state and redactions, some backfilled),",
                    "receipts, presence, account data, tags, push rules, pushers, to-device messages, device",
                    "lists, public room list changes and cache invalidations, from several threads at once so",
                    "that commit order differs from stream-id order. Prints progress every 5 s."),
            "Options:", List.of(PG_URL, PG_USER, PG_PASSWORD, RATE, THREADS, DURATION, SEED, APPLY_SCHEMA), List.of(),
            null);

    private WriterCommand() {}

    static int run(Resolved r, PrintStream out) throws Exception {
        String url = r.get(PG_URL);
        if (url == null) {
            throw new UsageException("writer: --pg-url is required (the JDBC URL that 'synrep serve' prints)");
        }
        double rate = r.get(RATE);
        if (rate < 0) {
            throw new UsageException("writer: --rate must be >= 0");
        }
        int threads = r.get(THREADS).intValue();
        Duration duration = r.get(DURATION);
        String password = r.given(PG_PASSWORD) ? r.get(PG_PASSWORD) : System.getenv("SYNREP_PG_PASSWORD");
        if (r.get(APPLY_SCHEMA)) {
            java.util.Properties p = new java.util.Properties();
            if (r.get(PG_USER) != null) {
                p.setProperty("user", r.get(PG_USER));
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, p)) {
                SyntheticWriter.applySchema(c);
            }
            out.println("schema applied");
        }
        SyntheticWriter writer = new SyntheticWriter(url, r.get(PG_USER), password, rate, threads, duration,
                r.get(SEED), out);
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

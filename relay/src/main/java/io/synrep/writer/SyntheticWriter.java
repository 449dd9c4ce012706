package io.synrep.writer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-in for a Synapse writer: concurrent transactions that write Synapse's stream tables
 * (events, receipts, presence, account data, tags, push rules, pushers, to-device messages,
 * device lists, cache invalidations, public room list) the way Synapse does, so the relay has
 * realistic WAL to turn into streams.
 *
 * <p>Each worker thread has its own connection and runs one transaction at a time with autocommit
 * off. A transaction takes its stream id from the table's sequence first and commits later, with
 * a little random delay, so with several threads the commit order (the relay's positions) differs
 * from stream-id order, as it does in Synapse. A small fixed population of users, rooms and
 * devices makes upserts hit existing keys.
 *
 * <p>The rate is in transactions per second across all threads; {@code <= 0} means as fast as the
 * database allows. Failed transactions are rolled back and counted, never fatal.
 *
 * <p>Thread-safety: {@link #run()} may be called once; {@link #stop()} may be called from any
 * thread at any time, including before {@code run()}.
 */
public final class SyntheticWriter {

    /** Classpath location of {@code sql/schema.sql}. */
    public static final String SCHEMA_RESOURCE = "/io/synrep/sql/schema.sql";

    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);
    private static final long RECONNECT_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_PRINTED_ERRORS = 20;

    /**
     * Totals of a run.
     *
     * @param transactions committed transactions
     * @param rows         rows inserted, updated or deleted by committed transactions
     * @param errors       transactions (or connection attempts) that failed
     * @param elapsed      wall-clock time of the run
     */
    public record Stats(long transactions, long rows, long errors, Duration elapsed) {
    }

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final long intervalNanos;
    private final int threads;
    private final Duration duration;
    private final long seed;
    private final PrintStream progressOut;

    private final Population population = new Population();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong nextPermitNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();

    /**
     * @param jdbcUrl       e.g. {@code jdbc:postgresql://localhost:5432/synapse}
     * @param ratePerSecond transactions per second over all threads; {@code <= 0} for no limit
     * @param threads       concurrent writer connections, at least 1
     * @param duration      how long {@link #run()} writes; {@code null} until {@link #stop()}
     * @param seed          seeds each thread's choice of writes
     * @param progressOut   where a progress line goes every 5 s; {@code null} for none
     */
    public SyntheticWriter(String jdbcUrl, String user, String password, double ratePerSecond,
                           int threads, Duration duration, long seed, PrintStream progressOut) {
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        this.user = user;
        this.password = password;
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (duration != null && duration.isNegative()) {
            throw new IllegalArgumentException("duration must not be negative, got " + duration);
        }
        if (Double.isNaN(ratePerSecond) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be a finite number, got " + ratePerSecond);
        }
        this.intervalNanos = ratePerSecond <= 0 ? 0 : Math.max(1, Math.round(1e9 / ratePerSecond));
        this.threads = threads;
        this.duration = duration;
        this.seed = seed;
        this.progressOut = progressOut;
    }

    /**
     * Writes until the duration has passed or {@link #stop()} is called, then waits for the
     * in-flight transactions to finish.
     */
    public Stats run() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
        nextPermitNanos.set(start);

        List<Thread> workers = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            Random random = new Random(seed * 31 + i);
            Thread worker = new Thread(() -> work(random), "synthetic-writer-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }

        long lastReportNanos = start;
        long lastReportTransactions = 0;
        try {
            while (true) {
                long now = System.nanoTime();
                if (now - deadline >= 0 || stopped.getCount() == 0) {
                    break;
                }
                long nextReport = lastReportNanos + PROGRESS_INTERVAL.toNanos();
                long wait = Math.min(nextReport, deadline) - now;
                if (stopped.await(Math.max(wait, 0), TimeUnit.NANOSECONDS)) {
                    break;
                }
                now = System.nanoTime();
                if (now - nextReport >= 0) {
                    long tx = transactions.get();
                    report(tx, (tx - lastReportTransactions) / seconds(now - lastReportNanos));
                    lastReportNanos = now;
                    lastReportTransactions = tx;
                }
            }
        } finally {
            stop();
            for (Thread worker : workers) {
                worker.join();
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        Stats stats = new Stats(transactions.get(), rows.get(), errors.get(), elapsed);
        if (progressOut != null) {
            progressOut.printf(Locale.ROOT, "writer done: %d transactions, %d rows, %d errors in %.1f s (%.1f tx/s)%n",
                    stats.transactions(), stats.rows(), stats.errors(), seconds(elapsed.toNanos()),
                    stats.transactions() / Math.max(seconds(elapsed.toNanos()), 1e-9));
        }
        return stats;
    }

    /** Asks {@link #run()} to finish; returns at once. */
    public void stop() {
        stopped.countDown();
    }

    /**
     * Runs {@code sql/schema.sql} (classpath resource {@value #SCHEMA_RESOURCE}) on the connection
     * in one transaction. The script is idempotent, so applying it to a database that already has
     * the tables changes nothing. The connection's autocommit setting is restored afterwards.
     */
    public static void applySchema(Connection connection) throws SQLException, IOException {
        String script;
        try (InputStream in = SyntheticWriter.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IOException("schema resource " + SCHEMA_RESOURCE + " is not on the classpath");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute(script);
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private void work(Random random) {
        SynapseWorkload workload = new SynapseWorkload(population, random);
        Connection connection = null;
        try {
            while (!isStopped()) {
                if (connection == null) {
                    connection = connect();
                    if (connection == null) {
                        pause(RECONNECT_DELAY_NANOS);
                        continue;
                    }
                }
                if (!acquirePermit()) {
                    break;
                }
                if (!transact(connection, workload)) {
                    connection = closeIfBroken(connection);
                }
            }
        } finally {
            close(connection);
        }
    }

    private boolean transact(Connection connection, SynapseWorkload workload) {
        try {
            SynapseWorkload.Result result = workload.writeOne(connection);
            connection.commit();
            result.afterCommit().run();
            transactions.incrementAndGet();
            rows.addAndGet(result.rows());
            return true;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // The connection is probably gone; closeIfBroken decides.
            }
            recordError("transaction failed", e);
            return false;
        }
    }

    private Connection connect() {
        try {
            Connection connection = DriverManager.getConnection(jdbcUrl, user, password);
            connection.setAutoCommit(false);
            return connection;
        } catch (SQLException e) {
            recordError("cannot connect to " + jdbcUrl, e);
            return null;
        }
    }

    private Connection closeIfBroken(Connection connection) {
        try {
            if (connection.isValid(2)) {
                return connection;
            }
        } catch (SQLException ignored) {
            // Treat as broken.
        }
        close(connection);
        return null;
    }

    private static void close(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Nothing left to release.
        }
    }

    /**
     * Waits for this thread's turn under the shared rate. Slots are handed out one interval
     * apart across all threads; a thread that falls behind does not get a burst to catch up.
     *
     * @return false if stopped while waiting
     */
    private boolean acquirePermit() {
        if (intervalNanos == 0) {
            return !isStopped();
        }
        while (true) {
            long previous = nextPermitNanos.get();
            long slot = Math.max(previous, System.nanoTime());
            if (nextPermitNanos.compareAndSet(previous, slot + intervalNanos)) {
                pauseUntil(slot);
                return !isStopped();
            }
        }
    }

    private void pause(long nanos) {
        pauseUntil(System.nanoTime() + nanos);
    }

    /** Sleeps in short steps so that a stop is noticed within 100 ms even at very low rates. */
    private void pauseUntil(long deadlineNanos) {
        long step = TimeUnit.MILLISECONDS.toNanos(100);
        long remaining;
        while (!isStopped() && (remaining = deadlineNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(remaining, step));
        }
    }

    private boolean isStopped() {
        return stopped.getCount() == 0;
    }

    private void recordError(String what, Exception e) {
        long count = errors.incrementAndGet();
        if (progressOut != null && count <= MAX_PRINTED_ERRORS) {
            String suffix = count == MAX_PRINTED_ERRORS ? " (further errors are only counted)" : "";
            progressOut.printf("writer error: %s: %s%s%n", what, e.getMessage(), suffix);
        }
    }

    private void report(long tx, double txPerSecond) {
        if (progressOut != null) {
            progressOut.printf(Locale.ROOT, "writer: %d transactions, %d rows, %d errors, %.1f tx/s%n",
                    tx, rows.get(), errors.get(), txPerSecond);
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}

package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds decoded transactions back until PostgreSQL shows them to new snapshots.
 *
 * <p>PostgreSQL writes and flushes a transaction's commit record before the committing backend marks it committed
 * and takes it off the list of running transactions; only then does a new snapshot see its changes. The slot may
 * decode and send the commit record in between. The gap is normally microseconds, but a descheduled backend (or a
 * wait for a synchronous standby) makes it milliseconds or longer. A reader that handled position P, then read the
 * database in that gap, would read (and might cache) the data as it was before P, against the reader's promise.
 * So capture publishes a transaction only once a snapshot taken after it was decoded no longer lists it as running.
 *
 * <p>One {@code txid_current_snapshot()} per batch of decoded records, skipped when every transaction of the
 * batch precedes the xmin of the last snapshot (if less than a minute old): replays, idle periods. Transaction ids
 * are the 32-bit ids pgoutput sends; they are compared modulo 2^32 as PostgreSQL does. Errors reaching the database
 * are thrown, which stops the engine: capture reconnects as for any other connection loss. Used by the capture
 * thread only; not thread-safe.
 */
final class VisibilityGate implements CaptureConsumer.Visibility, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VisibilityGate.class);
    private static final long WARN_AFTER_NANOS = 10_000_000_000L;
    /** How long a snapshot's xmin may be trusted (ids compare modulo 2^32: an old bound could mislead). */
    private static final long TRUST_NANOS = 60_000_000_000L;

    private final WriterConnection conn;
    private final UnaryOperator<String> seen;
    /** Every transaction id that precedes this (mod 2^32) had completed when the last snapshot was taken. */
    private long completedBelow;
    private boolean known;
    private long knownAt;

    /**
     * @param seen applied to each snapshot read ({@code txid_current_snapshot()} text) before it is judged; the
     *             identity outside tests. A test seam: a test keeps a committed transaction listed as running, which
     *             is what PostgreSQL shows between flushing a commit record and making the transaction visible, and
     *             so decides when the gate lets it through.
     */
    VisibilityGate(CaptureConfig config, UnaryOperator<String> seen) {
        this.conn = new WriterConnection(config, c -> c.setAutoCommit(true));
        this.seen = seen;
    }

    /** Returns once every transaction in {@code xids} is visible to new snapshots. */
    @Override
    public void await(long[] xids) throws InterruptedException {
        long started = System.nanoTime();
        long pause = 1;
        boolean warned = false;
        while (true) {
            boolean trusted = known && System.nanoTime() - knownAt < TRUST_NANOS;
            boolean pending = false;
            for (long x : xids) {
                pending |= !(trusted && precedes(x, completedBelow));
            }
            if (!pending) {
                return;
            }
            Snapshot s = snapshot();
            completedBelow = s.xmin;
            known = true;
            knownAt = System.nanoTime();
            boolean running = false;
            for (long x : xids) {
                running |= !precedes(x, s.xmin) && (!precedes(x, s.xmax) || s.running.contains(x));
            }
            if (!running) {
                return;
            }
            if (!warned && System.nanoTime() - started > WARN_AFTER_NANOS) {
                LOG.warn("a decoded transaction is still not visible to new snapshots after 10 s (a synchronous"
                        + " standby not answering?); positions are held back until it is");
                warned = true;
            }
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 20);
        }
    }

    /** Whether transaction id {@code a} precedes {@code b}, modulo 2^32 (PostgreSQL's TransactionIdPrecedes). */
    static boolean precedes(long a, long b) {
        return (int) ((a - b) & 0xFFFFFFFFL) < 0;
    }

    private record Snapshot(long xmin, long xmax, Set<Long> running) {}

    private Snapshot snapshot() {
        for (int attempt = 1; ; attempt++) {
            try {
                String text = conn.use(c -> {
                    try (Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("SELECT txid_current_snapshot()::text")) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
                return parse(seen.apply(text));
            } catch (SQLException e) {
                // closed by now; a connection broken by a restarted server is replaced once; beyond that, capture reconnects
                if (attempt >= 2) {
                    throw new IllegalStateException("cannot check that decoded transactions are visible: "
                            + e.getMessage(), e);
                }
            }
        }
    }

    /** {@code xmin:xmax:xip,...} with 64-bit ids, reduced to 32 bits. */
    static Snapshot parse(String text) {
        String[] parts = text.split(":", -1);
        Set<Long> running = new HashSet<>();
        if (parts.length > 2 && !parts[2].isEmpty()) {
            for (String x : parts[2].split(",")) {
                running.add(Long.parseLong(x) & 0xFFFFFFFFL);
            }
        }
        return new Snapshot(Long.parseLong(parts[0]) & 0xFFFFFFFFL, Long.parseLong(parts[1]) & 0xFFFFFFFFL, running);
    }

    @Override
    public void close() {
        conn.close();
    }
}

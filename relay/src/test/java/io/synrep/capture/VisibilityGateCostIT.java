package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.CaptureConfig;
import io.synrep.it.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the visibility gate costs the writer (README, "Visible before published": "usually one cheap query per batch,
 * skipped when an earlier snapshot already shows them complete"), counted through the gate's snapshot seam against
 * a real PostgreSQL. Each {@link VisibilityGate#await} is one batch ({@link CaptureConsumer} calls it once per batch).
 */
class VisibilityGateCostIT {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void oneSnapshotPerBatchAndNoneWhenAnEarlierSnapshotShowsTheBatchComplete() throws Exception {
        String url = TestPostgres.freshDatabase("viscost");
        CaptureConfig config = new CaptureConfig(url, null, null, "viscost", "viscost", Duration.ofSeconds(1),
                Duration.ofMillis(10));
        AtomicInteger asked = new AtomicInteger();
        try (VisibilityGate gate = new VisibilityGate(config, snapshot -> {
                asked.incrementAndGet();
                return snapshot;
            });
             Connection writer = TestPostgres.connect(url);
             Connection open = TestPostgres.connect(url)) {
            long a = committedXid(writer);
            long b = committedXid(writer);

            // a batch of committed transactions: one snapshot shows them complete
            gate.await(new long[] {a, b});
            assertEquals(1, asked.get(), "snapshots asked for one batch of committed transactions");

            // the same transactions again (a replay), or some of them: that snapshot's xmin is past them already
            gate.await(new long[] {a, b});
            gate.await(new long[] {a});
            assertEquals(1, asked.get(), "an earlier snapshot showed these complete: no query");

            // a later transaction: the earlier snapshot cannot vouch for it, one query
            long c = committedXid(writer);
            gate.await(new long[] {c});
            assertEquals(2, asked.get(), "snapshots asked after a batch with a newer transaction");

            // a transaction still running when the batch is judged: the gate keeps asking until it has completed
            open.setAutoCommit(false);
            long running = xid(open);
            CompletableFuture<Void> held = CompletableFuture.runAsync(() -> {
                try {
                    gate.await(new long[] {running});
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (asked.get() < 4) {
                assertTrue(System.nanoTime() < deadline, "the gate did not ask again for a running transaction");
                Thread.sleep(2);
            }
            assertFalse(held.isDone(), "the gate let a running transaction through");
            open.commit();
            held.get(30, TimeUnit.SECONDS);
            int afterCommit = asked.get();
            gate.await(new long[] {running});
            assertEquals(afterCommit, asked.get(), "the snapshot that showed it complete covers it afterwards");
        }
    }

    /** Commits a transaction that was given an id, and returns the id as pgoutput sends it (32 bits). */
    private static long committedXid(Connection c) throws SQLException {
        c.setAutoCommit(false);
        long x = xid(c);
        c.commit();
        c.setAutoCommit(true);
        return x;
    }

    private static long xid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT txid_current()")) {
            rs.next();
            return rs.getLong(1) & 0xFFFFFFFFL;
        }
    }
}

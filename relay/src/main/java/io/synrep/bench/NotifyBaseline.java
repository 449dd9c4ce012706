package io.synrep.bench;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The latency peer: PostgreSQL's own push, LISTEN/NOTIFY. The same writers commit single-row transactions at
 * 1,000 rows/s into a table outside the relay's publication whose trigger notifies with the row's id; each listener
 * (one connection and thread each) records commit-to-notification time. Listeners are capped at
 * {@value #MAX_LISTENERS}: each is a database connection.
 */
final class NotifyBaseline {
    static final int MAX_LISTENERS = 100;
    private static final String CHANNEL = "bench_latency";
    private final BenchDatabase db;

    NotifyBaseline(BenchDatabase db) {
        this.db = db;
    }

    Histogram measure(int listeners, int seconds) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_notify (stream_id bigint, user_id text, device_id text)");
            st.execute("CREATE OR REPLACE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "PERFORM pg_notify('" + CHANNEL + "', NEW.stream_id::text); RETURN NULL; END $$");
            st.execute("CREATE OR REPLACE TRIGGER bench_notify AFTER INSERT ON bench_notify FOR EACH ROW "
                    + "EXECUTE FUNCTION bench_notify()");
        }
        int total = LatencyScenario.RATE * seconds;
        int warmup = LatencyScenario.RATE;
        long first = db.reserve(total);
        AtomicLongArray committedAt = new AtomicLongArray(total);
        Histogram h = new Histogram();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong received = new AtomicLong();
        CountDownLatch listening = new CountDownLatch(listeners);
        List<Thread> threads = new ArrayList<>();
        List<Exception> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < listeners; i++) {
            Thread t = new Thread(() -> {
                try (Connection c = db.connect()) {
                    try (Statement st = c.createStatement()) {
                        st.execute("LISTEN " + CHANNEL);
                    }
                    listening.countDown();
                    PGConnection pg = c.unwrap(PGConnection.class);
                    while (!stop.get()) {
                        PGNotification[] batch = pg.getNotifications(200);
                        long now = System.nanoTime();
                        if (batch == null) {
                            continue;
                        }
                        for (PGNotification n : batch) {
                            int k = (int) (Long.parseLong(n.getParameter()) - first);
                            if (k < 0 || k >= total) {
                                continue;
                            }
                            received.incrementAndGet();
                            if (k >= warmup) {
                                long at = committedAt.get(k);
                                h.record(at == 0 ? 0 : (now - at) / 1_000);
                            }
                        }
                    }
                } catch (Exception e) {
                    failures.add(e);
                    listening.countDown();
                }
            }, "bench-listener");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        if (!listening.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the NOTIFY listeners did not connect");
        }
        LatencyScenario.write(db, "bench_notify", first, total, committedAt);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (received.get() < (long) total * listeners && System.nanoTime() < deadline && failures.isEmpty()) {
            Thread.sleep(20);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(5_000);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a NOTIFY listener failed: " + failures.get(0).getMessage());
        }
        if (received.get() != (long) total * listeners) {
            throw new IllegalStateException("NOTIFY listeners received " + received.get() + " of "
                    + (long) total * listeners + " notifications");
        }
        return h;
    }
}

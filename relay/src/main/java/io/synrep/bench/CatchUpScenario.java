package io.synrep.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 4, catch-up: a reader that many rows behind pages to the head with the largest page a reader may ask for
 * ({@code limit=10000}). The peer figure is PostgreSQL itself: the same rows read with one {@code SELECT} (cursor,
 * fetch size 10,000) over JDBC.
 */
final class CatchUpScenario {
    static final int LIMIT = 10_000;
    private static final int RUNS = 3;
    private final BenchDatabase db;
    private final RelayChild relay;
    private final long rows;
    private final PrintStream out;

    CatchUpScenario(BenchDatabase db, RelayChild relay, double scale, PrintStream out) {
        this.db = db;
        this.relay = relay;
        this.rows = Math.max(1_000, Math.round(1_000_000 * scale));
        this.out = out;
    }

    List<Result> run() throws Exception {
        long token = relay.health().path("position").asLong();
        out.printf("[4] catch-up: writing %,d rows in transactions of 100%n", rows);
        long t0 = System.nanoTime();
        long first = db.write(rows, 100);
        long written = System.nanoTime();
        relay.awaitPosition(db.marker(), Duration.ofMinutes(20));
        out.printf("[4]   written in %.1f s; the relay had captured them %.1f s later%n", (written - t0) / 1e9,
                (System.nanoTime() - written) / 1e9);
        List<Double> synrep = new ArrayList<>();
        List<Double> jdbc = new ArrayList<>();
        try (Poller poller = new Poller(relay.base(), 1)) {
            for (int run = 1; run <= RUNS; run++) {
                synrep.add(page(poller, token));
                jdbc.add(select(first));
                out.printf("[4]   run %d: relay %,.0f rows/s, SELECT %,.0f rows/s%n", run, synrep.get(run - 1),
                        jdbc.get(run - 1));
            }
        }
        double s = Stats.median(synrep);
        return List.of(new Result(String.format("4. catch-up, reader %,d rows behind, limit %,d (rows/s)", rows, LIMIT),
                Stats.describe(synrep), Stats.describe(jdbc) + " (SELECT over JDBC)",
                String.format("%.2fx", s / Stats.median(jdbc)), ">= 200,000 rows/s", s >= 200_000));
    }

    /** Pages from {@code token} until every written row has arrived; rows per second. */
    private double page(Poller poller, long token) throws Exception {
        long started = System.nanoTime();
        long got = 0;
        String at = Long.toString(token);
        while (got < rows) {
            Poller.Reply r = poller.poll("device_lists", at, 0, LIMIT, false).get();
            if (r.position() < 0 || (r.rows() == 0 && got < rows)) {
                throw new IllegalStateException("catch-up stalled after " + got + " of " + rows + " rows");
            }
            got += r.rows();
            at = Long.toString(r.position());
        }
        if (got != rows) {
            throw new IllegalStateException("catch-up read " + got + " rows, expected " + rows);
        }
        return rows / ((System.nanoTime() - started) / 1e9);
    }

    private double select(long first) throws Exception {
        long started = System.nanoTime();
        long got = 0;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT stream_id, user_id, device_id "
                    + "FROM device_lists_stream WHERE stream_id >= ? AND stream_id < ? ORDER BY stream_id")) {
                ps.setFetchSize(LIMIT);
                ps.setLong(1, first);
                ps.setLong(2, first + rows);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getLong(1);
                        rs.getString(2);
                        rs.getString(3);
                        got++;
                    }
                }
            }
            c.commit();
        }
        if (got != rows) {
            throw new IllegalStateException("SELECT read " + got + " rows, expected " + rows);
        }
        return rows / ((System.nanoTime() - started) / 1e9);
    }
}

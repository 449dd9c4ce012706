package io.synrep.it;

import static io.synrep.it.ReplayHorizonIT.KEEP_ALL;
import static io.synrep.it.ReplayHorizonIT.assertTooOld;
import static io.synrep.it.ReplayHorizonIT.awaitTrue;
import static io.synrep.it.ReplayHorizonIT.get;
import static io.synrep.it.ReplayHorizonIT.positions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.capture.Capture;
import io.synrep.Relay;
import io.synrep.config.StateConfig;
import io.synrep.it.ReplayHorizonIT.Reader;
import io.synrep.it.ReplayHorizonIT.Resp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where the relay's horizon comes from besides retention, and what readers see of it, against a real PostgreSQL and
 * a real relay over HTTP: {@code --start-lsn} (tokens below it are too old) and {@code --max-wal-held} (past it the
 * oldest retained rows are dropped, with a WARN, and readers behind them are too old).
 */
class HorizonLimitsIT {
    private static final long KIB = 1024;

    private final List<Relay> open = new ArrayList<>();
    private final List<String[]> slots = new ArrayList<>();

    @AfterEach
    void tidy() throws InterruptedException {
        for (Relay r : open) {
            r.close();
        }
        open.clear();
        Thread.sleep(200);
        for (String[] s : slots) {
            SqlRows.dropSlotQuietly(s[0], s[1]);
        }
        slots.clear();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void tokensBelowTheStartLsnAreTooOldAndTokensFromItAreServed() throws Exception {
        String url = TestPostgres.freshDatabase("hl_start");
        String slot = slotFor(url);
        try (Connection c = TestPostgres.connect(url)) {
            // a first relay creates the slot and learns the positions of three transactions; it retains them all,
            // so the slot stays confirmed below the first and the second relay may start at any of them
            Relay first = start(url, slot, StateConfig.inDirectory(Files.createTempDirectory("hl-start-1")));
            Reader all = new Reader("all", first, List.of("events"), "-1");
            for (int i = 1; i <= 3; i++) {
                SqlRows.event(c, i);
            }
            all.catchUp(Map.of("events", 3), Duration.ofSeconds(20));
            List<Long> pos = positions(all.rows("events"));
            closeRelay(first, url, slot);

            long startLsn = pos.get(1);
            Relay second = start(url, slot,
                    StateConfig.inDirectory(Files.createTempDirectory("hl-start-2")).withStartLsn(startLsn));
            // below the start: 410 M_POSITION_TOO_OLD naming the start as earliest
            assertTooOld(second, pos.get(0), startLsn);
            assertTooOld(second, startLsn - 1, startLsn);
            // from the start: served, exactly the transaction after it
            Reader from = new Reader("from", second, List.of("events"), Long.toString(startLsn));
            from.catchUp(Map.of("events", 1), Duration.ofSeconds(20));
            assertEquals(all.rows("events").subList(2, 3), from.rows("events"));
            // after the start: served, nothing new
            Resp after = get(second, "events=" + pos.get(2) + "&timeout=0");
            assertEquals(200, after.status(), after.body().toString());
            assertEquals(0, Reader.rowCount(after.body()), after.body().toString());
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void pastMaxWalHeldTheOldestRetainedRowsAreDroppedWithAWarning() throws Exception {
        long cap = 256 * KIB;
        String url = TestPostgres.freshDatabase("hl_wal");
        String slot = slotFor(url);
        PrintStream originalErr = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new FaultsIT.Tee(originalErr, logs), true));
        try (Connection c = TestPostgres.connect(url)) {
            SqlRows.createFiller(c);
            Relay relay = start(url, slot,
                    StateConfig.inDirectory(Files.createTempDirectory("hl-wal")).withMaxWalHeld(cap));
            Reader follow = new Reader("follow", relay, List.of("events"), "-1");
            for (int i = 1; i <= 5; i++) {
                SqlRows.event(c, i);
            }
            follow.catchUp(Map.of("events", 5), Duration.ofSeconds(20));
            List<Long> pos = positions(follow.rows("events"));
            assertEquals(5, relay.log().stats().retainedRows(), "all five retained before the burst");
            assertTrue(!logged(logs).contains("--max-wal-held"), "no warning under the cap: " + logged(logs));

            // about 1.3 MiB of WAL on a table outside the catalog: the slot, held below the retained rows, is past the cap
            for (int i = 0; i < 4; i++) {
                SqlRows.filler(c, 300);
            }
            awaitTrue(() -> logged(logs).contains("over --max-wal-held " + cap), Duration.ofSeconds(20),
                    "the WAL guard's warning");
            String warning = logged(logs).lines().filter(l -> l.contains("over --max-wal-held " + cap)).findFirst()
                    .orElseThrow();
            assertTrue(warning.contains("WARN"), warning);
            assertTrue(warning.contains("slot " + slot + " holds "), warning);
            assertTrue(warning.contains("dropped 5 retained rows"), warning);
            assertTrue(warning.contains("the horizon is now " + pos.get(4)), warning);

            // the documented effect: the rows are gone, readers behind them get 410 with earliest = the last one
            assertEquals(0, relay.log().stats().retainedRows());
            assertEquals(pos.get(4), relay.log().horizon());
            assertTooOld(relay, pos.get(0), pos.get(4));
            assertTooOld(relay, pos.get(3), pos.get(4));
            // a reader that had read them all is not affected: it gets the next row and nothing else
            SqlRows.event(c, 6);
            follow.catchUp(Map.of("events", 6), Duration.ofSeconds(20));
            assertEquals(SqlRows.eventId(6), follow.rows("events").get(5).get(2).asText());
        } finally {
            System.setErr(originalErr);
        }
    }

    private static String logged(ByteArrayOutputStream logs) {
        synchronized (logs) {
            return logs.toString(StandardCharsets.UTF_8);
        }
    }

    private String slotFor(String url) {
        String slot = SqlRows.dbName(url);
        slots.add(new String[] {url, slot});
        return slot;
    }

    private Relay start(String url, String slot, StateConfig state) throws InterruptedException {
        Relay r = RelayFixture.start(url, slot, KEEP_ALL, state);
        open.add(r);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r.capture().state() != Capture.State.STREAMING) {
            if (r.capture().state() == Capture.State.FAILED || System.nanoTime() > deadline) {
                throw new AssertionError("capture did not start: " + r.capture().state() + " " + r.capture().failure());
            }
            Thread.sleep(20);
        }
        return r;
    }

    /** Closes the relay and waits until PostgreSQL has let go of its slot (the next relay needs it). */
    private void closeRelay(Relay r, String url, String slot) throws Exception {
        r.close();
        open.remove(r);
        awaitTrue(() -> {
            try (Connection c = TestPostgres.connect(url)) {
                return !SqlRows.slotActive(c, slot);
            }
        }, Duration.ofSeconds(10), "slot " + slot + " released after close");
    }
}

package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.capture.Capture;
import io.synrep.capture.SlotSetup;
import io.synrep.Relay;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.protocol.Position;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replay and the retention horizon across relay restarts, against a real PostgreSQL and a real relay over HTTP.
 *
 * <p>The relay confirms to its slot only positions at or below which it retains no rows, and saves its horizon with
 * Debezium's offsets; so a restart replays every retained row with the same position, a reader that kept its tokens
 * continues without gaps, duplicates or 410, and a token below the horizon stays too old. {@code --start-lsn}
 * replays from a chosen position and rebuilds the same rows and positions. A cap on the WAL the slot holds makes the
 * relay drop retained rows (readers behind get 410) so that the slot can advance; heartbeats keep an idle or
 * unrelated-write database from growing the WAL held.
 *
 * <p>Each test has its own database and slot (named after the database) and its own data directories.
 * {@code FIGURES} lines report the WAL held figures measured.
 */
class ReplayHorizonIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final List<String> SOME_STREAMS = List.of("events", "receipts", "device_lists");
    static final long KIB = 1024;
    static final long MIB = 1024 * 1024;
    /** A retention that never evicts in these tests (the default's byte bound depends on the heap). */
    static final RetentionConfig KEEP_ALL = new RetentionConfig(1_000_000, 256 * MIB, Duration.ofHours(1));

    /** Longer than three heartbeats (200 ms) past capture's resume point spacing (250 ms); see the tests. */
    static final long PAUSE_MS = 800;

    private final List<Relay> open = new ArrayList<>();
    private final Map<Relay, String[]> slotOf = new HashMap<>();
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

    // ------------------------------------------------------------------------------------------------------------
    // 1. restart with idle readers
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void restartWithIdleNowReadersGivesNoRowsAndNo410() throws Exception {
        // (A) everything retained: the slot is never confirmed past the first row, the restart replays all of it
        {
            String url = TestPostgres.freshDatabase("rh_idle");
            String slot = slotFor(url);
            Path dir = Files.createTempDirectory("rh-idle");
            StateConfig state = StateConfig.inDirectory(dir);
            try (Connection c = TestPostgres.connect(url)) {
                SqlRows.createFiller(c);
                Relay relay = start(url, slot, KEEP_ALL, state);
                String epoch = relay.epoch();
                Reader all = new Reader("all", relay, SOME_STREAMS, "-1");
                all.expectEpoch(epoch);
                for (int i = 1; i <= 10; i++) {
                    SqlRows.event(c, i);
                    SqlRows.filler(c, 5);
                }
                all.catchUp(Map.of("events", 10), Duration.ofSeconds(20));
                List<JsonNode> before = all.rows("events");

                // several idle readers at `now`, each taken after an unrelated write has moved the position
                List<Reader> idle = new ArrayList<>();
                long prev = -1;
                for (int k = 0; k < 4; k++) {
                    long head = relay.log().head();
                    SqlRows.filler(c, 5);
                    awaitTrue(() -> relay.log().head() > head, Duration.ofSeconds(10),
                            "heartbeats move the head past a write to a table outside the catalog");
                    Reader r = new Reader("now" + k, relay, SOME_STREAMS, "now");
                    r.expectEpoch(epoch);
                    assertEquals(0, r.pollOk(100, 0));
                    long t = r.token("events");
                    assertTrue(t > prev, "each `now` reader stands further on: " + t + " after " + prev);
                    prev = t;
                    idle.add(r);
                }
                long lastToken = prev;
                List<String> idleTokens = tokensOf(idle);
                closeRelay(relay);

                Relay again = start(url, slot, KEEP_ALL, state);
                assertEquals(epoch, again.epoch(), "same database, same slot: same epoch after a restart");
                for (Reader r : idle) {
                    r.pointAt(again);
                    Resp resp = r.poll(100, 1000);
                    assertEquals(200, resp.status(), r.name + ": " + resp.body());
                    assertEquals(0, Reader.rowCount(resp.body()), r.name + " got rows after the restart: " + resp.body());
                }
                // once the replay has passed every token, the readers still get nothing: no row is delivered twice
                awaitTrue(() -> again.log().head() >= lastToken, Duration.ofSeconds(20),
                        "the restarted relay replays up to the readers' tokens");
                all.pointAt(again);
                for (Reader r : append(idle, all)) {
                    Resp resp = r.poll(100, 0);
                    assertEquals(200, resp.status(), r.name + ": " + resp.body());
                    assertEquals(0, Reader.rowCount(resp.body()), r.name + ": " + resp.body());
                }
                // and the replay rebuilt the same rows at the same positions
                Reader fresh = new Reader("fresh", again, SOME_STREAMS, "-1");
                fresh.catchUp(Map.of("events", 10), Duration.ofSeconds(20));
                assertEquals(before, fresh.rows("events"), "replayed rows and positions are identical");
                System.out.println("FIGURES ReplayHorizonIT.idle restart: tokens " + idleTokens + ", replayed "
                        + again.capture().transactions() + " transactions, skipped " + again.capture().duplicates());
                // one relay per JVM at a time: Debezium registers its MBeans under the same name for every relay
                closeRelay(again);
            }
        }

        // (B) retention evicted rows before the restart: the horizon, and the rows above it, survive the restart
        {
            String url = TestPostgres.freshDatabase("rh_idle_ev");
            String slot = slotFor(url);
            Path dir = Files.createTempDirectory("rh-idle-ev");
            StateConfig state = StateConfig.inDirectory(dir);
            RetentionConfig five = new RetentionConfig(5, 256 * MIB, Duration.ofHours(1));
            try (Connection c = TestPostgres.connect(url)) {
                SqlRows.createFiller(c);
                Relay relay = start(url, slot, five, state);
                String epoch = relay.epoch();
                Reader follow = new Reader("follow", relay, SOME_STREAMS, "-1");
                follow.expectEpoch(epoch);
                // batches of 4 < 5 retained rows: the follower sees every row and learns every position
                // Batches 1-4, 5-8, 9-12, 13-15, 16-20 (at most 5 rows each, so the follower sees every row). The
                // pause after each batch lets a heartbeat between batches become a resume point (capture keeps resume
                // points sampled 250 ms apart): the last eviction (of transaction 15, when 20 is appended) then has
                // one between transactions 15 and 16 to confirm, and the state is saved with the final horizon.
                // Without it the saved horizon can lag the live one: the state is saved only when capture confirms
                // a new resume point, and an eviction with no sampled resume point below its new horizon confirms
                // none (after a restart the replay then re-evicts by size, but tokens just below the live horizon
                // are served again until it has).
                for (int i = 1; i <= 20; i++) {
                    SqlRows.event(c, i);
                    if (i == 4 || i == 8 || i == 12 || i == 15 || i == 20) {
                        follow.catchUp(Map.of("events", i), Duration.ofSeconds(20));
                        Thread.sleep(PAUSE_MS);
                    }
                }
                List<Long> pos = positions(follow.rows("events"));
                assertEquals(20, new TreeSet<>(pos).size(), "one position per transaction: " + pos);
                long horizon = pos.get(14);
                assertEquals(horizon, relay.log().horizon(), "5 rows retained: the horizon is the 15th transaction");
                assertTooOld(relay, horizon - 1, horizon);
                List<JsonNode> retained = follow.rows("events").subList(15, 20);

                List<Reader> idle = new ArrayList<>();
                for (int k = 0; k < 3; k++) {
                    long head = relay.log().head();
                    SqlRows.filler(c, 5);
                    awaitTrue(() -> relay.log().head() > head, Duration.ofSeconds(10), "heartbeat after a filler write");
                    Reader r = new Reader("now" + k, relay, SOME_STREAMS, "now");
                    r.expectEpoch(epoch);
                    assertEquals(0, r.pollOk(100, 0));
                    idle.add(r);
                }
                long lastToken = idle.get(idle.size() - 1).token("events");
                // the slot is never confirmed at or past a retained row
                long confirmed = SqlRows.slotConfirmed(c, slot);
                assertTrue(confirmed < pos.get(15), "slot confirmed to " + confirmed + ", at or past the oldest retained row "
                        + pos.get(15));
                // the state is saved with Debezium's offset flush (every second)
                awaitTrue(() -> savedHorizon(dir) == horizon, Duration.ofSeconds(5), "state.json records the horizon");
                long savedHorizon = savedHorizon(dir);
                closeRelay(relay);
                long savedAtClose = savedHorizon(dir);
                System.out.println("FIGURES ReplayHorizonIT.evicted restart: horizon " + horizon + ", state.json horizon "
                        + savedHorizon + " before close, " + savedAtClose + " after; slot confirmed " + confirmed);

                Relay again = start(url, slot, five, state);
                assertEquals(epoch, again.epoch());
                assertEquals(horizon, again.log().horizon(), "the horizon survives the restart");
                assertTooOld(again, horizon - 1, horizon);
                assertTooOld(again, pos.get(3), horizon);
                for (Reader r : append(idle, follow)) {
                    r.pointAt(again);
                    Resp resp = r.poll(100, 1000);
                    assertEquals(200, resp.status(), r.name + ": " + resp.body());
                    assertEquals(0, Reader.rowCount(resp.body()), r.name + ": " + resp.body());
                }
                awaitTrue(() -> again.log().head() >= lastToken, Duration.ofSeconds(20), "replay up to the tokens");
                for (Reader r : append(idle, follow)) {
                    Resp resp = r.poll(100, 0);
                    assertEquals(200, resp.status(), r.name + ": " + resp.body());
                    assertEquals(0, Reader.rowCount(resp.body()), r.name + ": " + resp.body());
                }
                // a reader at the horizon gets exactly the rows retained before the restart
                Reader fromHorizon = new Reader("horizon", again, SOME_STREAMS, Long.toString(horizon));
                fromHorizon.catchUp(Map.of("events", 5), Duration.ofSeconds(20));
                assertEquals(retained, fromHorizon.rows("events"));
                Reader oldest = new Reader("oldest", again, SOME_STREAMS, "-1");
                oldest.catchUp(Map.of("events", 5), Duration.ofSeconds(20));
                assertEquals(retained, oldest.rows("events"));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // 2. the retention horizon: 410 below it, exact rows from it
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void horizonTooOldAndWithinRetention() throws Exception {
        String url = TestPostgres.freshDatabase("rh_horizon");
        String slot = slotFor(url);
        RetentionConfig fifty = new RetentionConfig(50, 256 * MIB, Duration.ofHours(1));
        try (Connection c = TestPostgres.connect(url)) {
            Relay relay = start(url, slot, fifty, StateConfig.inDirectory(Files.createTempDirectory("rh-horizon")));
            Reader early = new Reader("early", relay, List.of("events"), "now");
            assertEquals(0, early.pollOk(100, 0));
            long before = early.token("events");

            // a follower that keeps up (batches of 40 < 50 retained) learns every transaction's position
            Reader follow = new Reader("follow", relay, List.of("events"), "now");
            assertEquals(0, follow.pollOk(100, 0));
            for (int i = 1; i <= 200; i++) {
                SqlRows.event(c, i);
                if (i % 40 == 0) {
                    follow.catchUp(Map.of("events", i), Duration.ofSeconds(20));
                }
            }
            List<JsonNode> all = follow.rows("events");
            List<Long> pos = positions(all);
            assertEquals(200, new TreeSet<>(pos).size());
            for (int i = 0; i < 200; i++) {
                assertEquals(i + 1, all.get(i).get(1).asLong(), "stream_ordering in commit order");
            }
            long horizon = pos.get(149);

            // the reader from before the writes: 410, earliest is the horizon (the last evicted transaction)
            Resp tooOld = get(relay, "events=" + before + "&timeout=0");
            assertEquals(410, tooOld.status(), tooOld.body().toString());
            assertEquals("M_POSITION_TOO_OLD", tooOld.body().get("errcode").asText());
            long earliest = tooOld.body().get("earliest").asLong();
            assertEquals(horizon, earliest, "earliest is the position of the 150th (last evicted) transaction");
            // continuing from earliest yields exactly the 50 retained transactions
            Reader resync = new Reader("resync", relay, List.of("events"), Long.toString(earliest));
            resync.catchUp(Map.of("events", 50), Duration.ofSeconds(10));
            assertEquals(all.subList(150, 200), resync.rows("events"));
            // so does -1
            Reader oldest = new Reader("oldest", relay, List.of("events"), "-1");
            oldest.catchUp(Map.of("events", 50), Duration.ofSeconds(10));
            assertEquals(all.subList(150, 200), oldest.rows("events"));

            // the boundary: one below the horizon is too old, the horizon itself is served
            assertTooOld(relay, horizon - 1, horizon);
            assertTooOld(relay, pos.get(0), horizon);
            // a token inside the retained window gets exactly the rows after it
            Reader within = new Reader("within", relay, List.of("events"), Long.toString(pos.get(169)));
            within.catchUp(Map.of("events", 30), Duration.ofSeconds(10));
            assertEquals(all.subList(170, 200), within.rows("events"));
            // limit is per transaction boundary: 7 single-row transactions per response, in order
            Reader paged = new Reader("paged", relay, List.of("events"), Long.toString(horizon));
            int pages = 0;
            while (paged.rows("events").size() < 50) {
                int got = paged.pollOk(7, 0);
                assertTrue(got == 7 || paged.rows("events").size() == 50, "page of " + got);
                pages++;
            }
            assertEquals(all.subList(150, 200), paged.rows("events"));
            assertEquals(8, pages);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // 3. WAL held by the slot
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void walHeldStaysUnderTheCap() throws Exception {
        long cap = 4 * MIB;
        long burst = 40 * MIB;
        // (a) idle, and (b) a burst of unrelated WAL past the cap while replicated rows are retained
        {
            String url = TestPostgres.freshDatabase("rh_wal");
            String slot = slotFor(url);
            try (Connection c = TestPostgres.connect(url)) {
                SqlRows.createFiller(c);
                Relay relay = start(url, slot, KEEP_ALL,
                        StateConfig.inDirectory(Files.createTempDirectory("rh-wal")).withMaxWalHeld(cap));
                Reader early = new Reader("early", relay, SOME_STREAMS, "now");
                assertEquals(0, early.pollOk(100, 0));
                awaitTrue(() -> relay.walHeld().confirmed() >= 0, Duration.ofSeconds(10), "a WAL held figure");
                Thread.sleep(1_000); // a few heartbeats (200 ms) and offset flushes (1 s)

                // (a) idle for 3 s: the relay retains nothing and heartbeats keep the slot confirmed near the writer
                long idleMax = 0;
                long idleMaxSql = 0;
                long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < until) {
                    idleMax = Math.max(idleMax, relay.walHeld().confirmed());
                    idleMaxSql = Math.max(idleMaxSql, SqlRows.walLsn(c) - SqlRows.slotConfirmed(c, slot));
                    Thread.sleep(100);
                }
                System.out.println("FIGURES ReplayHorizonIT.wal idle: walHeld().confirmed() max " + idleMax
                        + " bytes over 3 s (measured directly: " + idleMaxSql + "), retained " + relay.walHeld().retained());
                assertTrue(idleMax < 64 * KIB, "idle slot holds " + idleMax + " bytes past its confirmed position");

                // (b) retained replicated rows, then 40 MiB of WAL on a table outside the catalog
                Reader follow = new Reader("follow", relay, List.of("events"), "-1");
                for (int i = 1; i <= 10; i++) {
                    SqlRows.event(c, i);
                }
                follow.catchUp(Map.of("events", 10), Duration.ofSeconds(20));
                List<Long> pos = positions(follow.rows("events"));
                long lastEvent = pos.get(9);
                assertEquals(10, relay.log().stats().retainedRows());
                Burst b = burst(c, slot, relay, burst, MIB);
                // Slack: the guard samples every second and evicts through (writer - cap); the consumer confirms its
                // newest resume point at or below what the log still retains at its next batch (heartbeats: 200 ms)
                // and Debezium flushes offsets, which moves the slot, every second. Here every retained row
                // precedes the burst, so after the first eviction nothing is retained and the slot may follow the
                // writer to its last commit; the figure must end at or under the cap, plus one burst transaction
                // (1 MiB) for a sample taken while the last transaction's commit had not yet been read by capture.
                // (In practice it falls to a few bytes.)
                long slack = MIB;
                long[] settled = {-1};
                awaitTrue(() -> {
                    settled[0] = relay.walHeld().confirmed();
                    return b.measuredSince() && settled[0] >= 0 && settled[0] <= cap + slack;
                }, Duration.ofSeconds(20), "WAL held drops under the cap after the burst");
                long settledAt = (System.nanoTime() - b.endNanos) / 1_000_000;
                long confirmedSql = SqlRows.walLsn(c) - SqlRows.slotConfirmed(c, slot);
                System.out.println("FIGURES ReplayHorizonIT.wal cap " + cap + ": burst of " + b.bytes + " bytes in "
                        + b.transactions + " transactions over " + b.millis + " ms; held past the confirmed position, max "
                        + "during the burst " + b.maxHeld + " (walHeld(), sampled each second) / " + b.maxHeldSql
                        + " (measured after each transaction); walHeld().confirmed() " + settled[0] + " " + settledAt + " ms after the burst (directly: " + confirmedSql
                        + "); retained " + relay.walHeld().retained() + "; horizon " + relay.log().horizon()
                        + ", retained rows " + relay.log().stats().retainedRows());

                // the retained rows were dropped: a reader from before them gets 410, earliest = the last one
                assertEquals(0, relay.log().stats().retainedRows(), "the WAL guard dropped the retained rows");
                assertEquals(lastEvent, relay.log().horizon());
                Resp r = get(relay, "events=" + early.token("events") + "&timeout=0");
                assertEquals(410, r.status(), r.body().toString());
                assertEquals(lastEvent, r.body().get("earliest").asLong());
                assertTooOld(relay, pos.get(4), lastEvent);
                // a reader that had read everything is not affected
                Resp fine = follow.poll(100, 0);
                assertEquals(200, fine.status(), fine.body().toString());
                assertEquals(0, Reader.rowCount(fine.body()));
                closeRelay(relay); // one relay per JVM at a time (Debezium's MBean names)
            }
        }
        // (c) default cap, nothing retained: unreplicated writes alone do not pile up WAL behind the slot
        {
            String url = TestPostgres.freshDatabase("rh_wal_un");
            String slot = slotFor(url);
            try (Connection c = TestPostgres.connect(url)) {
                SqlRows.createFiller(c);
                Relay relay = start(url, slot, KEEP_ALL, StateConfig.inDirectory(Files.createTempDirectory("rh-wal-un")));
                awaitTrue(() -> relay.walHeld().confirmed() >= 0, Duration.ofSeconds(10), "a WAL held figure");
                Thread.sleep(1_000);
                Burst b = burst(c, slot, relay, burst, MIB);
                long[] settled = {-1};
                // the bound: nothing is retained, so heartbeats carry the slot to the writer's last commit; what
                // stays held is WAL written after it (none: the burst is over) plus the commit record itself
                long bound = 64 * KIB;
                awaitTrue(() -> {
                    settled[0] = relay.walHeld().confirmed();
                    return b.measuredSince() && settled[0] >= 0 && settled[0] < bound;
                }, Duration.ofSeconds(20), "WAL held drops back after unreplicated writes");
                long settledAt = (System.nanoTime() - b.endNanos) / 1_000_000;
                System.out.println("FIGURES ReplayHorizonIT.wal unreplicated (cap " + StateConfig.DEFAULT_MAX_WAL_HELD
                        + "): burst of " + b.bytes + " bytes in " + b.transactions + " transactions over " + b.millis
                        + " ms; held past the confirmed position, max during the burst " + b.maxHeld + " (walHeld()) / "
                        + b.maxHeldSql + " (after each transaction); walHeld().confirmed() " + settled[0] + " " + settledAt
                        + " ms after the burst; retained " + relay.walHeld().retained());
                assertEquals(0, relay.log().stats().retainedRows());
                closeRelay(relay);
            }
        }
        // (d) sustained writes that are themselves replicated: every transaction is retained, so only the guard's
        // evictions let the slot advance; figures for how far past the cap the slot gets, and where it settles
        {
            String url = TestPostgres.freshDatabase("rh_wal_paced");
            String slot = slotFor(url);
            try (Connection c = TestPostgres.connect(url)) {
                SqlRows.createFiller(c);
                Relay relay = start(url, slot, KEEP_ALL,
                        StateConfig.inDirectory(Files.createTempDirectory("rh-wal-paced")).withMaxWalHeld(cap));
                Reader early = new Reader("early", relay, List.of("events"), "now");
                assertEquals(0, early.pollOk(100, 0));
                long start = SqlRows.walLsn(c);
                long t0 = System.nanoTime();
                long maxHeldSql = 0;
                c.setAutoCommit(false);
                for (int i = 1; i <= 24; i++) {
                    SqlRows.filler(c, (int) (MIB / 1150));
                    SqlRows.event(c, i);
                    c.commit();
                    maxHeldSql = Math.max(maxHeldSql, SqlRows.walLsn(c) - SqlRows.slotConfirmed(c, slot));
                    Thread.sleep(100);
                }
                c.setAutoCommit(true);
                long endNanos = System.nanoTime();
                long writer = SqlRows.walLsn(c);
                Thread.sleep(2_500); // two guard samples after the last write
                long settled = writer - SqlRows.slotConfirmed(c, slot);
                Reader oldest = new Reader("oldest", relay, List.of("events"), "-1");
                oldest.pollOk(1000, 0);
                List<Long> retained = positions(oldest.rows("events"));
                System.out.println("FIGURES ReplayHorizonIT.wal paced (cap " + cap + "): " + (writer - start) + " bytes in 24 "
                        + "replicated transactions over " + (endNanos - t0) / 1_000_000 + " ms; held past the confirmed "
                        + "position, max during " + maxHeldSql + " (" + String.format("%.1f", maxHeldSql / (double) cap)
                        + "x the cap); 2.5 s after: " + settled + " (" + (settled - cap) + " over the cap), walHeld() "
                        + relay.walHeld() + "; " + retained.size() + " transactions retained, horizon " + relay.log().horizon());
                // the guard evicted: the reader from before the writes is too old, earliest is the horizon
                Resp r = get(relay, "events=" + early.token("events") + "&timeout=0");
                assertEquals(410, r.status(), r.body().toString());
                assertEquals(relay.log().horizon(), r.body().get("earliest").asLong());
                // what is still retained lies within the cap of the writer's position: after the last sample either
                // the guard evicted through (writer - cap), or the slot was within the cap, and the slot is never
                // confirmed at or past a retained row
                assertTrue(!retained.isEmpty() && retained.get(0) > writer - cap, "oldest retained " + retained
                        + " at or below writer - cap = " + (writer - cap));
                assertTrue(SqlRows.slotConfirmed(c, slot) < retained.get(0), "slot confirmed past a retained row");
            }
        }
    }

    /**
     * A burst of WAL and what was held during it.
     *
     * @param maxHeld    the largest {@code walHeld().confirmed()} seen during the burst (the relay samples every second)
     * @param maxHeldSql the largest {@code pg_current_wal_lsn() - confirmed_flush_lsn} measured after each transaction
     */
    record Burst(long bytes, int transactions, long millis, long maxHeld, long maxHeldSql, long endNanos) {
        /**
         * Whether {@code walHeld()} now comes from a sample taken after the burst: the relay samples once a second
         * (fixed rate), so any value read 1.5 s after the burst is from a later sample.
         */
        boolean measuredSince() {
            return System.nanoTime() - endNanos > 1_500_000_000L;
        }
    }

    /** Writes {@code total} bytes of WAL into the filler table in transactions of about {@code perTx} bytes. */
    static Burst burst(Connection c, String slot, Relay relay, long total, long perTx) throws Exception {
        long start = SqlRows.walLsn(c);
        long t0 = System.nanoTime();
        long maxHeld = 0;
        long maxHeldSql = 0;
        int txs = 0;
        // ~1.1 KiB of WAL per 1 KiB row (tuple + record headers + primary key entry)
        int rowsPerTx = (int) (perTx / 1150);
        long written = 0;
        while (written < total) {
            SqlRows.filler(c, rowsPerTx);
            txs++;
            long now = SqlRows.walLsn(c);
            written = now - start;
            maxHeld = Math.max(maxHeld, relay.walHeld().confirmed());
            maxHeldSql = Math.max(maxHeldSql, now - SqlRows.slotConfirmed(c, slot));
        }
        long end = System.nanoTime();
        return new Burst(written, txs, (end - t0) / 1_000_000, maxHeld, maxHeldSql, end);
    }

    // ------------------------------------------------------------------------------------------------------------
    // 4. --start-lsn
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void startLsnReplayReproducesRowsAndPositions() throws Exception {
        String url = TestPostgres.freshDatabase("rh_start");
        String slot = slotFor(url);
        try (Connection c = TestPostgres.connect(url)) {
            Relay first = start(url, slot, KEEP_ALL, StateConfig.inDirectory(Files.createTempDirectory("rh-start-1")));
            List<String> streams = new ArrayList<>(first.log().streams());
            Reader now = new Reader("p0", first, streams, "now");
            assertEquals(0, now.pollOk(100, 0));
            long p0 = now.token("events");

            Map<String, Integer> expected = writeMixed(c, 300);
            Reader pass1 = new Reader("pass1", first, streams, "-1");
            pass1.catchUp(expected, Duration.ofSeconds(30));
            TreeSet<Long> txPositions = new TreeSet<>();
            for (String s : streams) {
                txPositions.addAll(positions(pass1.rows(s)));
            }
            assertEquals(300, txPositions.size(), "one position per transaction");
            assertTrue(txPositions.first() > p0, "every transaction commits after P0");
            closeRelay(first);
            long slotAfterFirst = SqlRows.slotConfirmed(c, slot);
            System.out.println("FIGURES ReplayHorizonIT.startLsn: P0 " + p0 + " (" + Position.formatLsn(p0)
                    + "), first transaction " + txPositions.first() + ", slot confirmed " + slotAfterFirst);
            assertTrue(slotAfterFirst < txPositions.first(), "the slot was never confirmed at or past a retained row");
            // P0 is at or above the slot's confirmed position unless unrelated WAL (autovacuum) moved a heartbeat
            // between taking P0 and the first commit; the replay start must be at or above it
            long replayFrom = Math.max(p0, slotAfterFirst);

            // pass 2: a new data directory, replay from P0: the same rows at the same positions
            Relay second = start(url, slot, KEEP_ALL,
                    StateConfig.inDirectory(Files.createTempDirectory("rh-start-2")).withStartLsn(replayFrom));
            assertEquals(replayFrom, second.log().horizon());
            Reader pass2 = new Reader("pass2", second, streams, "-1");
            pass2.catchUp(expected, Duration.ofSeconds(30));
            for (String s : streams) {
                assertEquals(pass1.rows(s), pass2.rows(s), s + ": replay from P0 rebuilds identical rows and positions");
            }
            closeRelay(second);

            // pass 3: replay from the middle: exactly the rows after it
            long pmid = new ArrayList<>(txPositions).get(149);
            Relay third = start(url, slot, KEEP_ALL,
                    StateConfig.inDirectory(Files.createTempDirectory("rh-start-3")).withStartLsn(pmid));
            assertTrue(SqlRows.slotConfirmed(c, slot) >= pmid, "the slot was advanced to the start position");
            Map<String, List<JsonNode>> after = new LinkedHashMap<>();
            Map<String, Integer> afterCounts = new LinkedHashMap<>();
            for (String s : streams) {
                List<JsonNode> rows = new ArrayList<>();
                for (JsonNode row : pass1.rows(s)) {
                    if (row.get(0).asLong() > pmid) {
                        rows.add(row);
                    }
                }
                after.put(s, rows);
                afterCounts.put(s, rows.size());
            }
            Reader pass3 = new Reader("pass3", third, streams, "-1");
            pass3.catchUp(afterCounts, Duration.ofSeconds(30));
            for (String s : streams) {
                assertEquals(after.get(s), pass3.rows(s), s + ": replay from Pmid gives exactly the rows after it");
            }
            closeRelay(third);

            // the slot moves on by eviction (1 row retained); then P0 - 1 is below its confirmed position
            Relay fourth = start(url, slot, new RetentionConfig(1, 256 * MIB, Duration.ofHours(1)),
                    StateConfig.inDirectory(Files.createTempDirectory("rh-start-4")));
            SqlRows.event(c, 1_000);
            awaitTrue(() -> {
                try (Connection q = TestPostgres.connect(url)) {
                    return SqlRows.slotConfirmed(q, slot) > pmid;
                }
            }, Duration.ofSeconds(20), "the slot is confirmed past Pmid once rows are evicted");
            closeRelay(fourth);
            long confirmed = SqlRows.slotConfirmed(c, slot);
            SlotSetup.SetupException e = assertThrows(SlotSetup.SetupException.class, () -> start(url, slot, KEEP_ALL,
                    StateConfig.inDirectory(Files.createTempDirectory("rh-start-5")).withStartLsn(p0 - 1)));
            System.out.println("FIGURES ReplayHorizonIT.startLsn: Pmid " + pmid + ", slot confirmed " + confirmed
                    + " after eviction; start-lsn " + (p0 - 1) + " refused: " + e.getMessage());
            assertTrue(e.getMessage().contains(Position.formatLsn(confirmed)), e.getMessage());
            assertTrue(e.getMessage().contains("(" + confirmed + ")"), e.getMessage());
            assertTrue(e.getMessage().contains(Position.formatLsn(p0 - 1)), e.getMessage());
        }
    }

    /**
     * {@code n} transactions across streams: events (every third), receipt upserts (every third, 20 readers, so
     * most are updates), two device-list rows (every third), and a device-list row more in every tenth.
     *
     * @return the rows each stream gets
     */
    static Map<String, Integer> writeMixed(Connection c, int n) throws Exception {
        Map<String, Integer> counts = new LinkedHashMap<>();
        c.setAutoCommit(false);
        try {
            long streamOrdering = 0;
            for (int i = 1; i <= n; i++) {
                switch (i % 3) {
                    case 0 -> {
                        SqlRows.event(c, ++streamOrdering);
                        counts.merge("events", 1, Integer::sum);
                    }
                    case 1 -> {
                        SqlRows.receipt(c, i, i % 20);
                        counts.merge("receipts", 1, Integer::sum);
                    }
                    default -> {
                        SqlRows.deviceList(c, i, "D" + i + "a");
                        SqlRows.deviceList(c, i, "D" + i + "b");
                        counts.merge("device_lists", 2, Integer::sum);
                    }
                }
                if (i % 10 == 0) {
                    SqlRows.deviceList(c, i, "X" + i);
                    counts.merge("device_lists", 1, Integer::sum);
                }
                c.commit();
            }
        } finally {
            c.setAutoCommit(true);
        }
        return counts;
    }

    // ------------------------------------------------------------------------------------------------------------
    // 5. state in a table of the writer's database
    // ------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void tableOffsetStoreResumes() throws Exception {
        String url = TestPostgres.freshDatabase("rh_table");
        String slot = slotFor(url);
        Path dir = Files.createTempDirectory("rh-table");
        StateConfig state = StateConfig.inDirectory(dir).withStore(StateConfig.Store.TABLE);
        RetentionConfig twenty = new RetentionConfig(20, 256 * MIB, Duration.ofHours(1));
        try (Connection c = TestPostgres.connect(url)) {
            Relay relay = start(url, slot, twenty, state);
            String epoch = relay.epoch();
            Reader reader = new Reader("reader", relay, SOME_STREAMS, "-1");
            reader.expectEpoch(epoch);
            // batch A: 30 transactions, read in steps of 10 (< 20 retained): the horizon moves, the slot advances
            for (int i = 1; i <= 30; i++) {
                SqlRows.event(c, i);
                if (i % 10 == 0) {
                    reader.catchUp(Map.of("events", i), Duration.ofSeconds(20));
                    Thread.sleep(PAUSE_MS); // a resume point between batches (as in restartWithIdleNowReaders...)
                }
            }
            List<Long> pos = positions(reader.rows("events"));
            long horizon = pos.get(9);
            assertEquals(horizon, relay.log().horizon());
            long firstRetained = pos.get(10);
            awaitTrue(() -> {
                RelayStateRow row = stateRow(url, slot);
                return row != null && row.horizon() == horizon && row.resume() >= 0;
            }, Duration.ofSeconds(10), "the state row records the horizon and offsets");
            closeRelay(relay);

            RelayStateRow row = stateRow(url, slot);
            assertNotNull(row, "a row for slot " + slot + " in synrep_state");
            assertEquals(epoch, row.epoch());
            assertEquals(slot, row.slot());
            assertEquals(horizon, row.horizon());
            assertTrue(row.resume() < firstRetained, "offsets resume at " + row.resume() + ", past the oldest retained row "
                    + firstRetained);
            long confirmed = SqlRows.slotConfirmed(c, slot);
            assertTrue(confirmed < firstRetained, "slot confirmed " + confirmed + " past the oldest retained row");
            assertTrue(Files.notExists(dir.resolve("state.json")), "the table store writes no state.json");
            System.out.println("FIGURES ReplayHorizonIT.table: state row horizon " + row.horizon() + ", resume "
                    + row.resume() + ", slot confirmed " + confirmed + ", oldest retained row " + firstRetained);

            // batch B while the relay is down: 5 transactions of 2 rows (events + device_lists)
            c.setAutoCommit(false);
            for (int i = 31; i <= 35; i++) {
                SqlRows.event(c, i);
                SqlRows.deviceList(c, i, "B" + i);
                c.commit();
            }
            c.setAutoCommit(true);
            Relay again = start(url, slot, twenty, state);
            assertEquals(epoch, again.epoch());
            assertEquals(horizon, again.log().horizon(), "the horizon comes back from the table");
            reader.pointAt(again);
            reader.catchUp(Map.of("events", 35, "device_lists", 5), Duration.ofSeconds(20));
            List<JsonNode> events = reader.rows("events");
            // the replay rebuilt A's retained rows (11..30) at their positions and appended B: 30 rows retained
            // over 20 evicts the 10 oldest transactions, so the horizon is the 20th event
            assertEquals(events.get(19).get(0).asLong(), again.log().horizon());
            Reader fromHorizon = new Reader("horizon", again, List.of("events"), Long.toString(again.log().horizon()));
            fromHorizon.catchUp(Map.of("events", 15), Duration.ofSeconds(10));
            assertEquals(events.subList(20, 35), fromHorizon.rows("events"), "replayed rows keep their positions");
            // batch C after the restart
            for (int i = 36; i <= 40; i++) {
                SqlRows.event(c, i);
            }
            reader.catchUp(Map.of("events", 40, "device_lists", 5), Duration.ofSeconds(20));
            events = reader.rows("events");
            for (int i = 0; i < 40; i++) {
                assertEquals(i + 1, events.get(i).get(1).asLong(), "each event once, in order: " + positions(events));
                assertEquals(SqlRows.eventId(i + 1), events.get(i).get(2).asText());
            }
            assertEquals(40, new TreeSet<>(positions(events)).size());
            List<JsonNode> devices = reader.rows("device_lists");
            for (int i = 0; i < 5; i++) {
                assertEquals("B" + (31 + i), devices.get(i).get(3).asText());
                assertEquals(events.get(30 + i).get(0).asLong(), devices.get(i).get(0).asLong(),
                        "one transaction, one position for both streams");
            }
        }
    }

    static long savedHorizon(Path dir) throws IOException {
        return JSON.readTree(Files.readAllBytes(dir.resolve("state.json"))).get("horizon").asLong();
    }

    record RelayStateRow(String slot, String epoch, long horizon, long resume) {}

    static RelayStateRow stateRow(String url, String slot) throws Exception {
        try (Connection c = TestPostgres.connect(url);
             PreparedStatement ps = c.prepareStatement("SELECT state FROM synrep_state WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                JsonNode s = JSON.readTree(rs.getString(1));
                long resume = -1;
                for (JsonNode v : s.get("offsets")) {
                    JsonNode lsn = JSON.readTree(v.asText()).get("lsn");
                    if (lsn != null) {
                        resume = Math.max(resume, lsn.asLong());
                    }
                }
                return new RelayStateRow(s.get("slot").asText(), s.get("epoch").asText(), s.get("horizon").asLong(),
                        resume);
            }
        } catch (java.sql.SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return null;
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // helpers
    // ------------------------------------------------------------------------------------------------------------

    private String slotFor(String url) {
        String slot = SqlRows.dbName(url);
        slots.add(new String[] {url, slot});
        return slot;
    }

    private Relay start(String url, String slot, RetentionConfig retention, StateConfig state) throws InterruptedException {
        Relay r = RelayFixture.start(url, slot, retention, state);
        open.add(r);
        slotOf.put(r, new String[] {url, slot});
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r.capture().state() != Capture.State.STREAMING) {
            if (r.capture().state() == Capture.State.FAILED || System.nanoTime() > deadline) {
                throw new AssertionError("capture did not start: " + r.capture().state() + " " + r.capture().failure());
            }
            Thread.sleep(20);
        }
        return r;
    }

    /**
     * Closes the relay and waits until PostgreSQL has released its slot: {@code close()} returns once the engine has
     * stopped, but the walsender applies the last confirmed position it was sent, and lets go of the slot, a moment
     * later (a figure read at once can be stale, and a relay started at once could find the slot still active).
     */
    private void closeRelay(Relay r) throws Exception {
        r.close();
        open.remove(r);
        String[] s = slotOf.remove(r);
        awaitTrue(() -> {
            try (Connection c = TestPostgres.connect(s[0])) {
                return !SqlRows.slotActive(c, s[1]);
            }
        }, Duration.ofSeconds(10), "slot " + s[1] + " released after close");
    }

    static void awaitTrue(ThrowingBoolean condition, Duration within, String what) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + within.toMillis() + " ms: " + what);
            }
            Thread.sleep(50);
        }
    }

    interface ThrowingBoolean {
        boolean get() throws Exception;
    }

    static List<Long> positions(List<JsonNode> rows) {
        List<Long> out = new ArrayList<>();
        for (JsonNode r : rows) {
            out.add(r.get(0).asLong());
        }
        return out;
    }

    static <T> List<T> append(List<T> list, T more) {
        List<T> out = new ArrayList<>(list);
        out.add(more);
        return out;
    }

    static List<String> tokensOf(List<Reader> readers) {
        List<String> out = new ArrayList<>();
        for (Reader r : readers) {
            out.add(r.tokens.get("events"));
        }
        return out;
    }

    static void assertTooOld(Relay relay, long token, long earliest) throws Exception {
        Resp r = get(relay, "events=" + token + "&timeout=0");
        assertEquals(410, r.status(), "token " + token + ": " + r.body());
        assertEquals("M_POSITION_TOO_OLD", r.body().get("errcode").asText());
        assertEquals(earliest, r.body().get("earliest").asLong(), "earliest for token " + token);
    }

    record Resp(int status, JsonNode body, String epoch) {}

    static Resp get(Relay relay, String query) throws IOException, InterruptedException {
        return get(RelayFixture.base(relay) + "/_synapse/replication?" + query);
    }

    static Resp get(String uri) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Resp(r.statusCode(), JSON.readTree(r.body()), r.headers().firstValue("Synrep-Epoch").orElse(null));
    }

    /**
     * A reader over real HTTP that keeps its tokens (also across relays: {@link #pointAt}) and checks each 200:
     * every row is above the token it was asked with (nothing twice), positions do not decrease, tokens do not
     * move backwards, and the epoch header is the expected one.
     */
    static final class Reader {
        final String name;
        final Map<String, String> tokens = new LinkedHashMap<>();
        final Map<String, List<JsonNode>> rows = new LinkedHashMap<>();
        private String base;
        private String epoch;

        Reader(String name, Relay relay, List<String> streams, String from) {
            this.name = name;
            this.base = RelayFixture.base(relay);
            for (String s : streams) {
                tokens.put(s, from);
                rows.put(s, new ArrayList<>());
            }
        }

        void pointAt(Relay relay) {
            base = RelayFixture.base(relay);
        }

        void expectEpoch(String e) {
            epoch = e;
        }

        Resp poll(int limit, long timeoutMs) throws IOException, InterruptedException {
            StringBuilder q = new StringBuilder(base).append("/_synapse/replication?limit=").append(limit)
                    .append("&timeout=").append(timeoutMs);
            tokens.forEach((s, t) -> q.append('&').append(s).append('=').append(t));
            Resp r = get(q.toString());
            if (r.status() != 200) {
                return r;
            }
            assertNotNull(r.epoch(), "Synrep-Epoch header");
            if (epoch == null) {
                epoch = r.epoch();
            }
            assertEquals(epoch, r.epoch(), name + ": epoch");
            for (Iterator<Map.Entry<String, JsonNode>> it = r.body().fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String stream = e.getKey();
                String sent = tokens.get(stream);
                assertNotNull(sent, name + ": stream " + stream + " was not asked for");
                Long token = sent.equals("-1") || sent.equals("now") ? null : Long.valueOf(sent);
                long last = Long.MIN_VALUE;
                for (JsonNode row : e.getValue().get("rows")) {
                    long p = row.get(0).asLong();
                    if (token != null && p <= token) {
                        throw new AssertionError(name + ": " + stream + " row at " + p + " re-delivered to token " + token
                                + ": " + row);
                    }
                    assertTrue(p >= last, name + ": " + stream + " position " + p + " after " + last);
                    last = p;
                    rows.get(stream).add(row);
                }
                long position = e.getValue().get("position").asLong();
                if (token != null) {
                    assertTrue(position >= token, name + ": " + stream + " token moved back from " + token + " to " + position);
                }
                assertTrue(position >= last, name + ": " + stream + " resume " + position + " below its last row " + last);
                tokens.put(stream, Long.toString(position));
            }
            return r;
        }

        /** One poll that must be a 200; returns the number of rows received. */
        int pollOk(int limit, long timeoutMs) throws IOException, InterruptedException {
            Resp r = poll(limit, timeoutMs);
            assertEquals(200, r.status(), name + ": " + r.body());
            return rowCount(r.body());
        }

        /**
         * Polls until each stream named has {@code expected} rows in all, then once more briefly: not one row more
         * arrives, and streams not named get none.
         */
        void catchUp(Map<String, Integer> expected, Duration within) throws Exception {
            BooleanSupplier done = () -> expected.entrySet().stream()
                    .allMatch(e -> rows.get(e.getKey()).size() >= e.getValue());
            long deadline = System.nanoTime() + within.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + ": timed out; have " + counts() + ", want " + expected);
                }
                pollOk(1000, 500);
            }
            pollOk(1000, 200);
            for (String s : rows.keySet()) {
                assertEquals(expected.getOrDefault(s, 0).intValue(), rows.get(s).size(), name + ": rows of " + s);
            }
        }

        long token(String stream) {
            return Long.parseLong(tokens.get(stream));
        }

        List<JsonNode> rows(String stream) {
            return rows.get(stream);
        }

        Map<String, Integer> counts() {
            Map<String, Integer> c = new LinkedHashMap<>();
            rows.forEach((k, v) -> c.put(k, v.size()));
            return c;
        }

        static int rowCount(JsonNode body) {
            int n = 0;
            for (JsonNode s : body) {
                JsonNode rs = s.get("rows");
                n += rs == null ? 0 : rs.size();
            }
            return n;
        }
    }
}

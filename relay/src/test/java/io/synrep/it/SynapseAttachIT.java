package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.capture.SlotSetup;
import io.synrep.cli.Cli;
import io.synrep.Relay;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.streams.Catalog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attaching to a current Synapse database (a mirror of its tables: no primary keys where Synapse has none, no replica
 * identity) must never make one of the writer's statements fail, and every stream of the current built-in catalog
 * must deliver what Synapse's statements write, exactly once by position, across a relay restart.
 */
class SynapseAttachIT {
    static final Catalog CURRENT = Catalog.builtin("synapse-current");

    @TempDir
    Path dir;

    @Test
    void withoutPrepareTheRelayRefusesNamingTheStatementsAndLeavesTheWriterUntouched() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("attach_refuse");
        SlotSetup.SetupException refused = assertThrows(SlotSetup.SetupException.class,
                () -> start(url, "refuse", dir.resolve("state")));
        String m = refused.getMessage();
        assertTrue(m.contains("ALTER TABLE \"public\".\"receipts_linearized\" REPLICA IDENTITY FULL"), m);
        assertTrue(m.contains("ALTER TABLE \"public\".\"account_data\" REPLICA IDENTITY USING INDEX"
                + " \"account_data_uniqueness\""), m);
        assertTrue(m.contains("room_account_data_uniqueness") && m.contains("room_tag_revisions_uniqueness"), m);
        assertTrue(m.contains("synrep prepare --apply"), m);
        // pushers and thread_subscriptions have primary keys: nothing to change there
        assertFalse(m.contains("\"pushers\"") || m.contains("\"thread_subscriptions\""), m);
        try (Connection c = TestPostgres.connect(url)) {
            assertEquals(0, count(c, "SELECT count(*) FROM pg_publication"), "no publication was created");
            assertEquals(0, count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'refuse'"));
            assertEquals(0, count(c, "SELECT count(*) FROM pg_class WHERE relreplident <> 'd' AND relkind = 'r'"
                    + " AND relnamespace = 'public'::regnamespace"), "no replica identity was changed");
            Round round = new Round(new SynapseStatements(c), "a");
            round.write();
        }
    }

    @Test
    void aCatalogOfAppendOnlyStreamsAttachesWithoutPrepareAndEveryWriterStatementStillRuns() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("attach_append");
        Path file = dir.resolve("append.json");
        Files.writeString(file, "{\"extends\": \"synapse-current\", \"drop\": [\"receipts\", \"account_data\"]}");
        Catalog catalog = Catalog.load(file, "synapse-current");
        try (Relay relay = Relay.start(RelayFixture.capture(url, "append"), HttpConfig.defaults().withListen("127.0.0.1", 0),
                RetentionConfig.defaults(), catalog, StateConfig.inDirectory(dir.resolve("state")));
             Connection c = TestPostgres.connect(url)) {
            RelayFixture.awaitStreaming(relay);
            // presence_stream, device_inbox, ... are only published for INSERT: their deletes run
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT pubname, pubinsert, pubupdate, pubdelete FROM pg_publication ORDER BY pubname")) {
                StringBuilder sb = new StringBuilder();
                while (rs.next()) {
                    sb.append(rs.getString(1)).append(rs.getBoolean(2) ? " i" : "").append(rs.getBoolean(3) ? " u" : "")
                            .append(rs.getBoolean(4) ? " d" : "").append("; ");
                }
                assertEquals("append i; append,append_upd i; append_upd u; ", sb.toString());
            }
            Round round = new Round(new SynapseStatements(c), "b");
            round.write();
            Poller poller = new Poller(RelayFixture.base(relay), catalog.streamNames(), "-1");
            round.awaitAndCheck(poller, catalog.streamNames());

            // the writer's schema changes under the relay: pushers loses the key its published updates rely on;
            // within one schema check (2 s) the stream's state in /health is an error naming it, and a WARN says so
            String error = "error: the writer's UPDATE and DELETE on public.pushers FAIL";
            try (EpochTriggersIT.Logs logs = new EpochTriggersIT.Logs()) {
                try (Statement st = c.createStatement()) {
                    st.execute("ALTER TABLE pushers DROP CONSTRAINT pushers2_pkey");
                }
                c.commit();
                long altered = System.nanoTime();
                JsonNode health = health(relay);
                while (!health.path("streams").path("pushers").asText().startsWith(error)) {
                    assertTrue(System.nanoTime() - altered < BOUND.toNanos(), "/health " + health);
                    Thread.sleep(20);
                    health = health(relay);
                }
                long seenMillis = (System.nanoTime() - altered) / 1_000_000;
                assertTrue(seenMillis <= SCHEMA_CHECK.plus(SLACK).toMillis(), "the error reached /health after "
                        + seenMillis + " ms, more than one schema check (2 s) and slack");
                assertTrue(health.path("streams").path("pushers").asText().contains("ALTER TABLE"),
                        "the state names the fix: " + health);
                assertEquals("ok", health.path("streams").path("presence").asText(), health.toString());
                assertTrue(logs.text().contains("WARN StreamStates - stream pushers: " + error), logs.text());

                // the key back, right after a check was seen: the next check, one period later, reports ok again
                // (this bounds the period itself: a slower check would let the first change through by its phase)
                try (Statement st = c.createStatement()) {
                    st.execute("ALTER TABLE pushers ADD CONSTRAINT pushers2_pkey PRIMARY KEY (id)");
                }
                c.commit();
                long restored = System.nanoTime();
                while (!health.path("streams").path("pushers").asText().equals("ok")) {
                    assertTrue(System.nanoTime() - restored < BOUND.toNanos(), "/health " + health);
                    Thread.sleep(20);
                    health = health(relay);
                }
                long okMillis = (System.nanoTime() - restored) / 1_000_000;
                assertTrue(okMillis <= SCHEMA_CHECK.plus(SLACK).toMillis(), "ok again in /health after " + okMillis
                        + " ms, more than one schema check (2 s) and slack");
                assertTrue(logs.text().contains("INFO StreamStates - stream pushers: ok again"), logs.text());
            }
            assertEquals("ok", relay.streamStates().get("presence"));
        }
    }

    /** How often the relay compares the writer's schema with the catalog (README: "within 2 s"). */
    static final Duration SCHEMA_CHECK = Duration.ofSeconds(2);
    /** The query itself and a loaded machine's scheduling, on top of one period. */
    static final Duration SLACK = Duration.ofMillis(1500);
    /** How long to keep watching before failing with what /health said. */
    static final Duration BOUND = Duration.ofSeconds(30);

    private static JsonNode health(Relay relay) throws Exception {
        java.net.http.HttpResponse<String> r = FaultsIT.get(RelayFixture.base(relay) + "/health");
        assertEquals(200, r.statusCode(), "a stream in error leaves /health 200: " + r.body());
        return EpochTriggersIT.JSON.readTree(r.body());
    }

    @Test
    void prepareThenServeDeliversEveryStreamExactlyOnceAcrossARestart() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("attach_prepare");
        String printed = cli("prepare", "--pg-url", url, "--publication", "prep", "--catalog", "synapse-current");
        assertTrue(printed.contains("ALTER TABLE \"public\".\"receipts_linearized\" REPLICA IDENTITY FULL;"), printed);
        assertTrue(printed.contains("CREATE PUBLICATION \"prep_upd\" WITH (publish = 'update');"), printed);
        try (Connection c = TestPostgres.connect(url)) {
            assertEquals(0, count(c, "SELECT count(*) FROM pg_publication"), "prepare without --apply changes nothing");
        }
        Map<String, String> filesBefore = fileNodes(url);
        String applied = cli("prepare", "--apply", "--pg-url", url, "--publication", "prep", "--catalog",
                "synapse-current");
        assertTrue(applied.contains("-- done"), applied);
        // REPLICA IDENTITY changes the catalog only: no table was rewritten (same data files)
        assertEquals(filesBefore, fileNodes(url), "tables rewritten by prepare --apply");
        try (Connection c = TestPostgres.connect(url)) {
            assertEquals("f", single(c, "SELECT relreplident FROM pg_class WHERE oid = 'receipts_linearized'::regclass"));
            assertEquals("i", single(c, "SELECT relreplident FROM pg_class WHERE oid = 'account_data'::regclass"));
            assertEquals("d", single(c, "SELECT relreplident FROM pg_class WHERE oid = 'presence_stream'::regclass"),
                    "append-only tables are left alone");
        }
        assertTrue(cli("prepare", "--pg-url", url, "--publication", "prep", "--catalog", "synapse-current")
                .contains("nothing to change"));

        Path state = dir.resolve("state");
        Poller poller;
        try (Connection c = TestPostgres.connect(url)) {
            SynapseStatements writer = new SynapseStatements(c);
            Round first = new Round(writer, "c");
            try (Relay relay = start(url, "prep", state)) {
                RelayFixture.awaitStreaming(relay);
                first.write();
                poller = new Poller(RelayFixture.base(relay), CURRENT.streamNames(), "-1");
                first.awaitAndCheck(poller, CURRENT.streamNames());
            }
            Round second = new Round(writer, "d");
            second.write(); // while the relay is down
            try (Relay relay = start(url, "prep", state)) {
                Poller resumed = poller.movedTo(RelayFixture.base(relay));
                second.awaitAndCheck(resumed, CURRENT.streamNames());
            }
            assertTrue(writer.kinds.size() >= 40, "statement kinds run: " + writer.kinds);
        }
    }

    @Test
    void aPublicationThatAlreadyBreaksTheWriterIsReportedAndPrepareRepairsIt() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("attach_broken");
        try (Connection c = TestPostgres.connect(url)) {
            try (Statement st = c.createStatement()) {
                // an older relay (or a hand-made publication) publishing every operation
                st.execute("CREATE PUBLICATION old FOR TABLE presence_stream, events");
            }
            SynapseStatements writer = new SynapseStatements(c);
            SQLException fails = assertThrows(SQLException.class, () -> writer.presence("@u:hs", "online"));
            assertTrue(fails.getMessage().contains("does not have a replica identity"), fails.getMessage());
        }
        SlotSetup.SetupException refused = assertThrows(SlotSetup.SetupException.class,
                () -> start(url, "old", dir.resolve("state")));
        // reported at start in capitals, naming the tables and the publication, with the command that repairs it
        String m = refused.getMessage();
        assertTrue(m.startsWith("THE WRITER'S UPDATE AND DELETE FAIL NOW on [public.events, public.presence_stream]"
                + " (publications publishing them: [[old], [old]])"), m);
        assertTrue(m.contains("Nothing was changed") && m.contains("'synrep prepare --apply'"), m);
        String printed = cli("prepare", "--pg-url", url, "--publication", "old", "--catalog", "synapse-current");
        assertTrue(printed.contains("FAILING NOW: the writer's UPDATE and DELETE on public.presence_stream fail"),
                printed);
        cli("prepare", "--apply", "--pg-url", url, "--publication", "old", "--catalog", "synapse-current");
        try (Connection c = TestPostgres.connect(url); Relay relay = start(url, "old", dir.resolve("state"))) {
            RelayFixture.awaitStreaming(relay);
            Round round = new Round(new SynapseStatements(c), "e");
            round.write();
            Poller poller = new Poller(RelayFixture.base(relay), CURRENT.streamNames(), "-1");
            round.awaitAndCheck(poller, CURRENT.streamNames());
        }
    }

    private static Relay start(String url, String name, Path state) {
        return Relay.start(RelayFixture.capture(url, name), HttpConfig.defaults().withListen("127.0.0.1", 0),
                RetentionConfig.defaults(), CURRENT, StateConfig.inDirectory(state));
    }

    /** Runs the command line in this JVM; it must exit 0; returns what it printed. */
    static String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err.toString(StandardCharsets.UTF_8));
        return text;
    }

    /** The data file of each table whose replica identity prepare sets (a rewrite gives a table a new one). */
    static Map<String, String> fileNodes(String url) throws SQLException {
        Map<String, String> nodes = new TreeMap<>();
        try (Connection c = TestPostgres.connect(url)) {
            for (String table : List.of("receipts_linearized", "account_data", "room_account_data",
                    "room_tags_revisions")) {
                nodes.put(table, single(c, "SELECT pg_relation_filenode('" + table + "')"));
            }
        }
        return nodes;
    }

    static long count(Connection c, String sql) throws SQLException {
        return Long.parseLong(single(c, sql));
    }

    static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * One round of Synapse's statements, every kind at least once, and the stream rows it must produce: each
     * expected once, nothing else. A marker row written last bounds the check: once every stream's token has passed
     * its position, everything the round wrote has been delivered.
     */
    static final class Round {
        private final SynapseStatements w;
        private final String tag;
        /** stream → identities of the rows expected, in the order written. */
        final Map<String, List<String>> expected = new TreeMap<>();
        private String marker;

        Round(SynapseStatements w, String tag) {
            this.w = w;
            this.tag = tag;
        }

        private void expect(String stream, Object... parts) {
            List<String> p = new ArrayList<>();
            for (Object o : parts) {
                p.add(String.valueOf(o));
            }
            expected.computeIfAbsent(stream, k -> new ArrayList<>()).add(String.join("|", p));
        }

        void write() throws SQLException {
            String room = "!room" + tag + ":hs";
            String user = "@user" + tag + ":hs";
            String e1 = "$member" + tag;
            String e2 = "$msg" + tag;
            String e3 = "$redaction" + tag;
            long so1 = w.event(e1, room, "m.room.member", user, null, null, false);
            expect("events", so1, "ev", e1, room, "m.room.member", user, null, null, "join", null, false, "master");
            expect("events", so1, "state", e1, room, "m.room.member", user, null, null, "join", null, null, "master");
            long so2 = w.event(e2, room, "m.room.message", null, e1, null, false);
            expect("events", so2, "ev", e2, room, "m.room.message", null, null, e1, null, null, false, "master");
            long so3 = w.event(e3, room, "m.room.redaction", null, null, e2, false);
            expect("events", so3, "ev", e3, room, "m.room.redaction", null, e2, null, null, null, false, "master");
            long so4 = w.deOutlier(e2);
            expect("events", so4, "ev", e2, null, null, null, null, null, null, null, false, "master");
            String b1 = "$backfilled" + tag;
            long sob = w.event(b1, room, "m.room.message", null, null, null, true);
            expect("backfill", sob, b1, room, "m.room.message", null, null, null, "master");

            long r1 = w.receipt(room, user, e1, null);
            long r2 = w.receipt(room, user, e2, null); // the upsert updates the row
            long r3 = w.receipt(room, user, e2, "$thread" + tag);
            expect("receipts", r1, room, "m.read", user, e1, null, "json:{\"ts\":" + r1 + "}", "master");
            expect("receipts", r2, room, "m.read", user, e2, null, "json:{\"ts\":" + r2 + "}", "master");
            expect("receipts", r3, room, "m.read", user, e2, "$thread" + tag, "json:{\"ts\":" + r3 + "}", "master");

            long p1 = w.presence(user, "online");
            long p2 = w.presence(user, "unavailable"); // deletes the older row first
            expect("presence", p1, user, "online", 1, 2, 3, null, true, "master");
            expect("presence", p2, user, "unavailable", 1, 2, 3, null, true, "master");

            long a1 = w.globalAccountData(user, "m.push_rules", "{\"a\":1}");
            long a2 = w.globalAccountData(user, "m.push_rules", "{\"a\":2}");
            long a3 = w.removeGlobalAccountData(user, "m.push_rules");
            long a4 = w.roomAccountData(user, room, "m.fully_read", "{}");
            long a5 = w.tag(user, room, "m.favourite", false);
            long a6 = w.tag(user, room, "m.favourite", true);
            expect("account_data", a1, user, null, "m.push_rules", null);
            expect("account_data", a2, user, null, "m.push_rules", null);
            expect("account_data", a3, user, null, "m.push_rules", null);
            expect("account_data", a4, user, room, "m.fully_read", null);
            expect("account_data", a5, user, room, "m.tag", null);
            expect("account_data", a6, user, room, "m.tag", null);

            long pr1 = w.pushRule(user, "rule" + tag);
            long pr2 = w.deletePushRule(user, "rule" + tag);
            expect("push_rules", pr1, user, "master");
            expect("push_rules", pr2, user, "master");

            long pu1 = w.pusher(user, "app", "key" + tag);
            w.pusherProgress(user, "app", "key" + tag); // bookkeeping: no stream row
            long pu2 = w.pusher(user, "app", "key" + tag); // re-added: the upsert moves its id
            long pu3 = w.deletePusher(user, "app", "key" + tag);
            expect("pushers", pu1, user, "app", "key" + tag, false, "master");
            expect("pushers", pu2, user, "app", "key" + tag, false, "master");
            expect("pushers", pu3, user, "app", "key" + tag, true, "master");

            long c1 = w.invalidate("get_user_by_id", user);
            long c2 = w.invalidate("cs_cache_fake", room, user);
            w.cleanUpInvalidations(0, c1); // Synapse's 7-day cleanup: no rows
            expect("caches", c1, "get_user_by_id", "json:[\"" + user + "\"]", 7, "master");
            expect("caches", c2, "cs_cache_fake", "json:[\"" + room + "\",\"" + user + "\"]", 7, "master");

            long t1 = w.toDevice(user, "DEV", "remote" + tag);
            w.ackToDevice(user, "DEV", "remote" + tag, t1);
            expect("to_device", t1, user, "master");
            expect("to_device", t1, "remote" + tag, "master");

            long d1 = w.deviceChange(user, "DEV", "remote" + tag);
            w.pokesSent("remote" + tag, d1);
            long d2 = w.signatureChange(user);
            expect("device_lists", d1, user, false, false, "DEV", "master");
            expect("device_lists", d1, user, false, true, "DEV", "master");
            expect("device_lists", d2, user, true, false, null, "master");

            long ts1 = w.subscribe(user, room, e1);
            long ts2 = w.unsubscribe(user, room, e1);
            expect("thread_subscriptions", ts1, user, room, e1, "master");
            expect("thread_subscriptions", ts2, user, room, e1, "master");

            long u1 = w.unPartialRoom(room);
            expect("un_partial_stated_room", u1, room, "master");
            marker = "$marker" + tag;
            long u2 = w.unPartialEvent(marker);
            expect("un_partial_stated_event", u2, marker, false, "master");
        }

        /** Polls until every stream has passed the marker, then compares what arrived with what is expected. */
        void awaitAndCheck(Poller poller, List<String> streams) throws Exception {
            Map<String, Integer> before = new HashMap<>();
            streams.forEach(s -> before.put(s, poller.rows(s).size()));
            long[] markerPosition = {-1};
            poller.pollUntil(() -> {
                if (markerPosition[0] < 0) {
                    for (JsonNode row : poller.rows("un_partial_stated_event")) {
                        if (row.get(2).asText().equals(marker)) {
                            markerPosition[0] = row.get(0).asLong();
                        }
                    }
                }
                return markerPosition[0] >= 0 && streams.stream()
                        .allMatch(s -> Long.parseLong(poller.token(s)) >= markerPosition[0]);
            }, Duration.ofSeconds(90));
            for (String s : streams) {
                List<String> got = new ArrayList<>();
                List<JsonNode> rows = poller.rows(s);
                for (JsonNode row : rows.subList(before.get(s), rows.size())) {
                    List<String> parts = new ArrayList<>();
                    for (int i = 1; i < row.size(); i++) {
                        JsonNode v = row.get(i);
                        parts.add(v.isNull() ? "null" : v.isTextual() ? v.asText() : v.isContainerNode() ? "json:" + v : v.toString());
                    }
                    got.add(String.join("|", parts));
                }
                assertEquals(expected.getOrDefault(s, List.of()), got, "stream " + s + " (fields "
                        + poller.fieldNames.get(s) + ")");
            }
        }
    }
}

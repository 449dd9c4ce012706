package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.Relay;
import io.synrep.client.ReaderCache;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import io.synrep.client.synapse.EventsStore;
import io.synrep.client.synapse.SlavedStores;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Each slaved store against a real PostgreSQL, a real relay and a real {@link ReplicationClient}: a read is cached;
 * a write leaves the cached answer in place while its row is held at a gate before the stores (the reader's
 * position is still below the write, so that is allowed); once the row is processed the next read reflects it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlavedStoresIT {
    private String url;
    private Relay relay;
    private SlavedStores stores;
    private ReplicationClient client;
    private final StoreGate gate = new StoreGate();

    @BeforeAll
    void start() throws Exception {
        url = TestPostgres.freshDatabase("stores");
        relay = RelayFixture.start(url, "stores_slot");
        RelayFixture.awaitStreaming(relay);
        stores = SlavedStores.open(url, new Properties(), 4, 1000);
        client = gate.wrap(ReplicationClient.builder(URI.create(RelayFixture.base(relay))), stores)
                .from("-1").pollTimeout(Duration.ofSeconds(1)).backoff(Duration.ofMillis(50), Duration.ofSeconds(1))
                .build().start();
    }

    @AfterAll
    void stop() {
        client.close();
        stores.close();
        relay.close();
    }

    @Test
    void eventsByIdLatestAndMembership() throws Exception {
        String room = "!events:t";
        write(member("$m1", room, "@alice:t", "join"), message("$e1", room, "hello"));
        gate.awaitProcessed(client, StoreGate.row("events", "event_id", "$e1"));
        EventsStore events = stores.events();
        assertEquals("hello", events.event("$e1").orElseThrow().content().get("body").asText());
        assertEquals(List.of("$e1", "$m1"), ids(events.latestEvents(room, 10)));
        assertEquals(List.of(room), events.joinedRooms("@alice:t"));
        long hits = cache("get_event").hits();
        events.event("$e1");
        assertEquals(hits + 1, cache("get_event").hits(), "the second read is a cache hit");

        // a redaction of $e1 and alice leaving: cached answers stay until the rows are processed
        Supplier<Object> read = () -> List.of(events.event("$e1").orElseThrow(), events.latestEvents(room, 10),
                events.memberships("@alice:t"));
        changeThroughGate(read, StoreGate.row("events", "event_id", "$m2"),
                redaction("$r1", room, "$e1"), member("$m2", room, "@alice:t", "leave"));
        EventsStore.Event redacted = events.event("$e1").orElseThrow();
        assertEquals("$r1", redacted.redactedBy());
        assertEquals(0, redacted.content().size(), "redacted content is pruned: " + redacted.content());
        assertEquals(List.of("$m2", "$r1", "$e1", "$m1"), ids(events.latestEvents(room, 10)));
        assertEquals(List.of("$m2", "$r1"), ids(events.latestEvents(room, 2)));
        assertEquals("leave", events.memberships("@alice:t").get(0).membership());
        assertEquals(List.of(), events.joinedRooms("@alice:t"));

        // censoring rewrites event_json without a stream row: the answer must not depend on it
        write("UPDATE event_json SET json = '{\"content\":{}}' WHERE event_id = '$e1'");
        stores.invalidateAll();
        assertEquals(redacted, events.event("$e1").orElseThrow());
        assertTrue(events.event("$nope").isEmpty());
    }

    @Test
    void backfilledEventsComeOnTheBackfillStreamAndSortAfterLiveOnes() throws Exception {
        String room = "!backfill:t";
        write(message("$live", room, "now"));
        gate.awaitProcessed(client, StoreGate.row("events", "event_id", "$live"));
        Supplier<Object> read = () -> stores.events().latestEvents(room, 10);
        changeThroughGate(read, StoreGate.row("backfill", "event_id", "$old"),
                event("$old", room, "m.room.message", null, "{\"body\":\"old\"}",
                        "-nextval('events_backfill_stream_seq')"));
        assertEquals(List.of("$live", "$old"), ids(stores.events().latestEvents(room, 10)));
        assertTrue(stores.events().event("$old").orElseThrow().streamOrdering() < 0);
    }

    @Test
    void receiptsOfAUserAndOfARoom() throws Exception {
        write(receipt("!rr:t", "@bob:t", "$a"));
        gate.awaitProcessed(client, StoreGate.row("receipts", "event_id", "$a"));
        assertEquals("$a", stores.receipts().forUser("@bob:t").get(0).eventId());
        Supplier<Object> read = () -> List.of(stores.receipts().forUser("@bob:t"), stores.receipts().forRoom("!rr:t"));
        changeThroughGate(read, StoreGate.row("receipts", "event_id", "$b"), receipt("!rr:t", "@bob:t", "$b"));
        assertEquals("$b", stores.receipts().forUser("@bob:t").get(0).eventId());
        assertEquals(1, stores.receipts().forUser("@bob:t").get(0).data().get("ts").asInt());
        assertEquals("$b", stores.receipts().forRoom("!rr:t").get(0).eventId());
    }

    @Test
    void accountDataGlobalRoomAndTags() throws Exception {
        String u = "@carol:t";
        Supplier<Object> read = () -> List.of(stores.accountData().global(u), stores.accountData().room(u, "!ad:t"),
                stores.accountData().tags(u));
        assertEquals(List.of(Map.of(), Map.of(), Map.of()), read.get());
        changeThroughGate(read, StoreGate.row("tag_account_data", "user_id", u),
                "INSERT INTO account_data (user_id, account_data_type, stream_id, content) VALUES ('" + u
                        + "', 'm.direct', nextval('account_data_sequence'), '{\"@d:t\":[\"!ad:t\"]}')",
                "INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content) VALUES ('"
                        + u + "', '!ad:t', 'm.fully_read', nextval('account_data_sequence'), '{\"event_id\":\"$x\"}')",
                "INSERT INTO room_tags (user_id, room_id, tag, content) VALUES ('" + u
                        + "', '!ad:t', 'm.favourite', '{\"order\":0.5}')",
                tagRevision(u, "!ad:t"));
        assertEquals("!ad:t", stores.accountData().global(u, "m.direct").orElseThrow().get("@d:t").get(0).asText());
        assertEquals("$x", stores.accountData().room(u, "!ad:t").get("m.fully_read").get("event_id").asText());
        assertEquals(0.5, stores.accountData().tags(u).get("!ad:t").get("m.favourite").get("order").asDouble());

        // deleting a tag produces no row of its own: the revision bump in its transaction does
        changeThroughGate(read, StoreGate.row("tag_account_data", "user_id", u),
                "DELETE FROM room_tags WHERE user_id = '" + u + "'", tagRevision(u, "!ad:t"));
        assertEquals(Map.of(), stores.accountData().tags(u));
    }

    @Test
    void pushRulesReplayedAndPushers() throws Exception {
        String u = "@dave:t";
        Supplier<Object> read = () -> List.of(stores.push().pushRules(u), stores.push().pushers(u),
                stores.push().allPushers());
        read.get();
        changeThroughGate(read, StoreGate.row("pushers", "user_name", u),
                pushRule(u, "global/content/cake", "ADD", "[\"notify\"]"),
                pushRule(u, "global/content/pie", "ADD", "[\"notify\"]"),
                pushRule(u, "global/content/cake", "DISABLE", null),
                pushRule(u, ".m.rule.master", "ENABLE", null),
                "INSERT INTO pushers (id, user_name, profile_tag, kind, app_id, app_display_name, device_display_name,"
                        + " pushkey, ts, data) VALUES (nextval('pushers_sequence'), '" + u + "', '', 'http', 'app',"
                        + " 'App', 'Phone', 'key1', 1, '{\"url\":\"https://push.t\"}')");
        var rules = stores.push().pushRules(u);
        assertEquals(List.of("global/content/cake", "global/content/pie"),
                rules.rules().stream().map(r -> r.ruleId()).sorted().toList());
        assertFalse(rules.rules().stream().filter(r -> r.ruleId().endsWith("cake")).findFirst().orElseThrow()
                .enabled());
        assertEquals(Map.of("global/content/cake", false, ".m.rule.master", true), rules.enabled());
        assertEquals("https://push.t", stores.push().pushers(u).get(0).data().get("url").asText());
        assertTrue(stores.push().allPushers().stream().anyMatch(p -> p.userName().equals(u)));

        changeThroughGate(read, StoreGate.row("deleted_pushers", "user_id", u),
                pushRule(u, "global/content/pie", "DELETE", null),
                pushRule(u, "global/content/cake", "ACTIONS", "[\"dont_notify\"]"),
                "DELETE FROM pushers WHERE user_name = '" + u + "'",
                "INSERT INTO deleted_pushers (stream_id, app_id, pushkey, user_id) VALUES"
                        + " (nextval('pushers_sequence'), 'app', 'key1', '" + u + "')");
        rules = stores.push().pushRules(u);
        assertEquals(1, rules.rules().size());
        assertEquals("dont_notify", rules.rules().get(0).actions().get(0).asText());
        assertEquals(List.of(), stores.push().pushers(u));
        assertFalse(stores.push().allPushers().stream().anyMatch(p -> p.userName().equals(u)));
    }

    @Test
    void presenceIsTheLatestRow() throws Exception {
        String u = "@erin:t";
        Supplier<Object> read = () -> stores.presence().presence(u);
        assertTrue(stores.presence().presence(u).isEmpty());
        changeThroughGate(read, StoreGate.row("presence", "user_id", u), presence(u, "online"));
        assertEquals("online", stores.presence().presence(u).orElseThrow().state());
        changeThroughGate(read, StoreGate.row("presence", "state", "unavailable"), presence(u, "unavailable"),
                "DELETE FROM presence_stream WHERE user_id = '" + u + "' AND state = 'online'");
        assertEquals("unavailable", stores.presence().presence(u).orElseThrow().state());
    }

    @Test
    void cachesStreamInvalidatesAnyRegisteredCacheByName() throws Exception {
        ReaderCache<Object, String> custom = stores.caches().register(new ReaderCache<>("test_custom", 100));
        custom.get("one", k -> "1");
        custom.get("two", k -> "2");
        custom.get(List.of("a", "b"), k -> "ab");
        cacheRow("test_custom", "'{one}'");
        assertNull(custom.peek("one"), "keys [one] invalidate the entry \"one\"");
        assertEquals("2", custom.peek("two"));
        cacheRow("test_custom", "'{a,b}'");
        assertNull(custom.peek(List.of("a", "b")), "keys [a, b] invalidate the entry List.of(a, b)");
        cacheRow("test_custom", "NULL");
        assertNull(custom.peek("two"), "null keys invalidate the whole cache");

        // the stores' own caches answer to their names too (the writer's explicit invalidations)
        write(receipt("!cr:t", "@frank:t", "$c1"));
        gate.awaitProcessed(client, StoreGate.row("receipts", "event_id", "$c1"));
        stores.receipts().forUser("@frank:t");
        assertTrue(Objects.nonNull(cache("get_receipts_for_user").peek("@frank:t")));
        cacheRow("get_receipts_for_user", "'{@frank:t}'");
        assertNull(cache("get_receipts_for_user").peek("@frank:t"));
        long unknown = stores.caches().unknownInvalidations();
        cacheRow("no_such_cache", "'{x}'");
        assertEquals(unknown + 2, stores.caches().unknownInvalidations(), "that row and cacheRow's marker row");
    }

    @Test
    void changeCachesAnswerWhetherAnEntityChangedSinceAPosition() throws Exception {
        write(receipt("!warm:t", "@warm:t", "$w"));
        long p0 = gate.awaitProcessed(client, StoreGate.row("receipts", "event_id", "$w")).position();
        write(receipt("!chg:t", "@gina:t", "$g"),
                "INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES"
                        + " (nextval('device_lists_sequence'), '@gina:t', 'DEV1')");
        long p1 = gate.awaitProcessed(client, StoreGate.row("device_lists", "user_id", "@gina:t")).position();
        assertTrue(stores.userChanges().hasEntityChanged("@gina:t", p0));
        assertFalse(stores.userChanges().hasEntityChanged("@gina:t", p1));
        assertFalse(stores.userChanges().hasEntityChanged("@nobody:t", p0));
        assertTrue(stores.roomChanges().hasEntityChanged("!chg:t", p0));
        assertFalse(stores.roomChanges().hasEntityChanged("!other:t", p0));
        assertTrue(stores.deviceChanges().hasEntityChanged(SlavedStores.deviceKey("@gina:t", "DEV1"), p0));
        assertFalse(stores.deviceChanges().hasEntityChanged(SlavedStores.deviceKey("@gina:t", "DEV2"), p0));

        // a resync forgets everything: every question is answered conservatively until rows arrive again
        stores.invalidateAll();
        assertTrue(stores.userChanges().hasEntityChanged("@nobody:t", p1));
        assertEquals(0, cache("get_receipts_for_user").size());
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /**
     * Reads (caching), writes with the gate closed, checks the cached answer is still served while the row is held
     * and the reader's position is below it, then opens the gate and waits for the row matching {@code last}.
     */
    private void changeThroughGate(Supplier<Object> read, Predicate<Row> last, String... writes) throws Exception {
        Object before = read.get();
        int mark = gate.mark();
        gate.close();
        try {
            write(writes);
            Row held = gate.awaitHeld();
            assertTrue(client.position() < held.position(), "the reader has not passed the write yet");
            assertEquals(before, read.get(), "until the row is processed the cached answer stays");
        } finally {
            gate.open();
        }
        gate.awaitProcessed(client, last, mark);
        Object after = read.get();
        assertFalse(before.equals(after), "the processed row invalidated the cache: " + after);
    }

    private void cacheRow(String name, String keys) throws Exception {
        String marker = name + System.nanoTime();
        write("INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts) VALUES"
                        + " (nextval('cache_invalidation_stream_seq'), '" + name + "', " + keys + ", 0)",
                "INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts) VALUES"
                        + " (nextval('cache_invalidation_stream_seq'), '" + marker + "', NULL, 0)");
        gate.awaitProcessed(client, StoreGate.row("caches", "cache_func", marker));
    }

    @SuppressWarnings("unchecked")
    private ReaderCache<Object, Object> cache(String name) {
        return (ReaderCache<Object, Object>) stores.caches().get(name).orElseThrow();
    }

    private static List<String> ids(List<EventsStore.RoomEvent> events) {
        return events.stream().map(EventsStore.RoomEvent::eventId).toList();
    }

    private void write(String... statements) throws SQLException {
        try (Connection c = TestPostgres.connect(url)) {
            c.setAutoCommit(false);
            for (String s : statements) {
                try (PreparedStatement ps = c.prepareStatement(s)) {
                    ps.execute();
                }
            }
            c.commit();
        }
    }

    /** events + event_json (+ state_events, redactions) of one event, as one statement. */
    private static String event(String id, String room, String type, String stateKey, String content,
                                String streamOrdering) {
        String sk = stateKey == null ? "NULL" : "'" + stateKey + "'";
        String json = "{\"type\":\"" + type + "\",\"room_id\":\"" + room + "\",\"content\":" + content + "}";
        StringBuilder sql = new StringBuilder("WITH e AS (INSERT INTO events (topological_ordering, event_id, type,"
                + " room_id, content, processed, outlier, stream_ordering, state_key, sender, origin_server_ts)"
                + " VALUES (1, '" + id + "', '" + type + "', '" + room + "', '" + content + "', true, false, "
                + streamOrdering + ", " + sk + ", '@sender:t', 1) RETURNING event_id)"
                + ", j AS (INSERT INTO event_json (event_id, room_id, internal_metadata, json) VALUES ('" + id
                + "', '" + room + "', '{}', '" + json + "'))");
        if (stateKey != null) {
            sql.append(", s AS (INSERT INTO state_events (event_id, room_id, type, state_key) VALUES ('").append(id)
                    .append("', '").append(room).append("', '").append(type).append("', ").append(sk).append("))");
        }
        return sql.append(" SELECT 1").toString();
    }

    private static String message(String id, String room, String body) {
        return event(id, room, "m.room.message", null, "{\"body\":\"" + body + "\"}", "nextval('events_stream_seq')");
    }

    private static String member(String id, String room, String user, String membership) {
        return event(id, room, "m.room.member", user, "{\"membership\":\"" + membership + "\"}",
                "nextval('events_stream_seq')");
    }

    private static String redaction(String id, String room, String redacts) {
        return event(id, room, "m.room.redaction", null, "{}", "nextval('events_stream_seq')").replace(" SELECT 1",
                ", r AS (INSERT INTO redactions (event_id, redacts) VALUES ('" + id + "', '" + redacts
                        + "')) SELECT 1");
    }

    private static String receipt(String room, String user, String eventId) {
        return "INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data) VALUES"
                + " (nextval('receipts_sequence'), '" + room + "', 'm.read', '" + user + "', '" + eventId
                + "', '{\"ts\":1}') ON CONFLICT (room_id, receipt_type, user_id) DO UPDATE SET"
                + " stream_id = EXCLUDED.stream_id, event_id = EXCLUDED.event_id, data = EXCLUDED.data";
    }

    private static String tagRevision(String user, String room) {
        return "INSERT INTO room_tags_revisions (user_id, room_id, stream_id) VALUES ('" + user + "', '" + room
                + "', nextval('account_data_sequence')) ON CONFLICT (user_id, room_id) DO UPDATE SET"
                + " stream_id = EXCLUDED.stream_id";
    }

    private static String pushRule(String user, String rule, String op, String actions) {
        boolean add = op.equals("ADD");
        return "INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op,"
                + " priority_class, priority, conditions, actions) VALUES (nextval('push_rules_stream_sequence'), 0, '"
                + user + "', '" + rule + "', '" + op + "', " + (add ? "1, 0, '[]'" : "NULL, NULL, NULL") + ", "
                + (actions == null ? "NULL" : "'" + actions + "'") + ")";
    }

    private static String presence(String user, String state) {
        return "INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts, currently_active) VALUES"
                + " (nextval('presence_stream_sequence'), '" + user + "', '" + state + "', 1, true)";
    }
}

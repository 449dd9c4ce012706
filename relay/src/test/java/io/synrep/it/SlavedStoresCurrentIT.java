package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import io.synrep.worker.Worker;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import io.synrep.client.TokenStore;
import io.synrep.client.synapse.PushStore;
import io.synrep.client.synapse.ReceiptsStore;
import io.synrep.client.synapse.SlavedStores;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import io.synrep.streams.Catalog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The slaved stores over current Synapse's schema ({@code synapse-current/schema.sql}, prepared with
 * {@code synrep prepare --apply}) and a relay serving the {@code synapse-current} catalog, written with Synapse's own
 * statements ({@link SynapseStatements}: upserts, delete-then-insert, the push rule tables and their change log): a
 * read is cached, the write happens, and once the reader's position has passed the write's row the same read
 * answers with the write. A worker over the same relay answers the same through its read API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlavedStoresCurrentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAME = "storescur";

    private String url;
    private Relay relay;
    private SlavedStores stores;
    private ReplicationClient client;
    private Connection connection;
    private SynapseStatements writer;
    private final StoreGate gate = new StoreGate();

    @BeforeAll
    void start() throws Exception {
        url = TestPostgres.freshCurrentSynapseDatabase(NAME);
        // the writer's tables have no replica identity: the relay refuses until prepare applied what it needs
        SynapseAttachIT.cli("prepare", "--apply", "--pg-url", url, "--publication", NAME, "--catalog", "synapse-current");
        relay = Relay.start(RelayFixture.capture(url, NAME), HttpConfig.defaults().withListen("127.0.0.1", 0),
                RetentionConfig.defaults(), Catalog.builtin("synapse-current"),
                StateConfig.inDirectory(Files.createTempDirectory("storescur")));
        RelayFixture.awaitStreaming(relay);
        stores = SlavedStores.open(url, new Properties(), 4, 1000);
        client = gate.wrap(ReplicationClient.builder(URI.create(RelayFixture.base(relay))), stores)
                .from("-1").pollTimeout(Duration.ofSeconds(1)).backoff(Duration.ofMillis(50), Duration.ofSeconds(1))
                .build().start();
        connection = TestPostgres.connect(url);
        writer = new SynapseStatements(connection);
    }

    @AfterAll
    void stop() throws Exception {
        client.close();
        stores.close();
        relay.close();
        connection.close();
    }

    @Test
    void theStoresFollowTheCurrentCatalogAndTheRelayServesAllOfIt() throws Exception {
        assertEquals("synapse-current", stores.schema());
        assertEquals(Set.of("events", "backfill", "presence", "receipts", "push_rules", "pushers", "caches",
                "device_lists", "to_device", "account_data"), Set.copyOf(stores.streams()));
        writer.presence("@probe:hs", "online");
        gate.awaitProcessed(client, StoreGate.row("presence", "user_id", "@probe:hs"));
        assertEquals("synapse-current", client.catalog());
        assertEquals(Set.of(), client.missingStreams());
    }

    @Test
    void accountDataUpsertsRoomAccountDataAndTagsOnOneStream() throws Exception {
        String u = "@ad:hs";
        String room = "!ad:hs";
        Supplier<Object> global = () -> stores.accountData().global(u);
        Supplier<Object> roomData = () -> stores.accountData().room(u, room);
        Supplier<Object> tags = () -> stores.accountData().tags(u);

        cachedThenFresh(global, () -> writer.globalAccountData(u, "m.one", "{\"v\":1}"));
        assertEquals(1, stores.accountData().global(u, "m.one").orElseThrow().get("v").asInt());
        // Synapse's upsert: INSERT ... ON CONFLICT (user_id, account_data_type) DO UPDATE SET stream_id, content
        cachedThenFresh(global, () -> writer.globalAccountData(u, "m.one", "{\"v\":2}"));
        assertEquals(2, stores.accountData().global(u, "m.one").orElseThrow().get("v").asInt());
        // remove_account_data_for_user: an UPDATE to empty content with a new stream id
        cachedThenFresh(global, () -> writer.removeGlobalAccountData(u, "m.one"));
        assertEquals(0, stores.accountData().global(u, "m.one").orElseThrow().size());

        cachedThenFresh(roomData, () -> writer.roomAccountData(u, room, "m.fully_read", "{\"event_id\":\"$x\"}"));
        assertEquals("$x", stores.accountData().room(u, room).get("m.fully_read").get("event_id").asText());
        cachedThenFresh(roomData, () -> writer.roomAccountData(u, room, "m.fully_read", "{\"event_id\":\"$y\"}"));
        assertEquals("$y", stores.accountData().room(u, room).get("m.fully_read").get("event_id").asText());

        // a tag: room_tags upsert plus the room_tags_revisions row, streamed as data_type m.tag
        cachedThenFresh(tags, () -> writer.tag(u, room, "m.favourite", false));
        assertTrue(stores.accountData().tags(u).get(room).containsKey("m.favourite"));
        cachedThenFresh(tags, () -> writer.tag(u, room, "m.favourite", true));
        assertEquals(Map.of(), stores.accountData().tags(u));
    }

    @Test
    void receiptUpsertsAndThreadedReceipts() throws Exception {
        String u = "@rc:hs";
        String room = "!rc:hs";
        Supplier<Object> read = () -> List.of(stores.receipts().forUser(u), stores.receipts().forRoom(room));
        cachedThenFresh(read, () -> writer.receipt(room, u, "$e1", null));
        assertEquals("$e1", stores.receipts().forUser(u).get(0).eventId());
        // the upsert on (room_id, receipt_type, user_id) WHERE thread_id IS NULL updates the row in place
        cachedThenFresh(read, () -> writer.receipt(room, u, "$e2", null));
        List<ReceiptsStore.Receipt> mine = stores.receipts().forUser(u);
        assertEquals(1, mine.size());
        assertEquals("$e2", mine.get(0).eventId());
        assertNull(mine.get(0).threadId());
        cachedThenFresh(read, () -> writer.receipt(room, u, "$e3", "$thread"));
        mine = stores.receipts().forUser(u);
        assertEquals(2, mine.size(), "the main timeline's receipt first, then the thread's: " + mine);
        assertNull(mine.get(0).threadId());
        assertEquals("$thread", mine.get(1).threadId());
        assertEquals("$e3", stores.receipts().forRoom(room).get(1).eventId());
    }

    @Test
    void pushRulesComeFromTheRulesTablesAndTheirLogRowsInvalidate() throws Exception {
        String u = "@pr:hs";
        Supplier<Object> read = () -> stores.push().pushRules(u);
        assertEquals(List.of(), stores.push().pushRules(u).rules());
        cachedThenFresh(read, () -> writer.pushRule(u, "global/content/cake"));
        PushStore.PushRules rules = stores.push().pushRules(u);
        assertEquals(List.of("global/content/cake"), rules.rules().stream().map(PushStore.PushRule::ruleId).toList());
        assertTrue(rules.rules().get(0).enabled());
        assertEquals(5, rules.rules().get(0).priorityClass());
        assertEquals(Map.of("global/content/cake", true), rules.enabled());

        // a rule disabled: push_rules_enable updated, with its push_rules_stream row in the same transaction
        cachedThenFresh(read, () -> {
            try (var st = connection.createStatement()) {
                st.execute("UPDATE push_rules_enable SET enabled = 0 WHERE user_name = '" + u + "'");
                st.execute("INSERT INTO push_rules_stream (instance_name, stream_id, event_stream_ordering, user_id,"
                        + " rule_id, op) VALUES ('master', nextval('push_rules_stream_sequence'), 1, '" + u + "',"
                        + " 'global/content/cake', 'DISABLE')");
            }
            connection.commit();
            return -1;
        });
        assertFalse(stores.push().pushRules(u).rules().get(0).enabled());

        cachedThenFresh(read, () -> writer.deletePushRule(u, "global/content/cake"));
        assertEquals(List.of(), stores.push().pushRules(u).rules());
        assertEquals(Map.of(), stores.push().pushRules(u).enabled());
    }

    @Test
    void pusherUpsertsAndDeletionsComeOnThePushersStream() throws Exception {
        String u = "@pu:hs";
        Supplier<Object> read = () -> List.of(stores.push().pushers(u), stores.push().allPushers());
        long first = cachedThenFresh(read, () -> writer.pusher(u, "app", "key1"));
        assertEquals(first, stores.push().pushers(u).get(0).id());
        // add_pusher again: the upsert rewrites the id, which is what makes it a stream row
        long second = cachedThenFresh(read, () -> writer.pusher(u, "app", "key1"));
        assertNotEquals(first, second);
        assertEquals(second, stores.push().pushers(u).get(0).id());
        assertTrue(stores.push().allPushers().stream().anyMatch(p -> p.userName().equals(u)));
        // delete + deleted_pushers insert: the pushers stream's row with deleted = true
        cachedThenFresh(read, () -> writer.deletePusher(u, "app", "key1"));
        assertEquals(List.of(), stores.push().pushers(u));
        assertFalse(stores.push().allPushers().stream().anyMatch(p -> p.userName().equals(u)));
    }

    @Test
    void eventsUseTheirOwnStateKeyAndMembershipsTheMembershipTable() throws Exception {
        String room = "!ev:hs";
        String u = "@ev:hs";
        Supplier<Object> read = () -> List.of(stores.events().memberships(u), stores.events().latestEvents(room, 5));
        cachedThenFresh(read, () -> writer.event("$m1", room, "m.room.member", u, null, null, false));
        assertEquals(List.of(room), stores.events().joinedRooms(u));
        assertEquals(u, stores.events().event("$m1").orElseThrow().stateKey());
        assertEquals("$m1", stores.events().latestEvents(room, 5).get(0).eventId());
        cachedThenFresh(read, () -> writer.event("$msg", room, "m.room.message", null, null, null, false));
        assertEquals("$msg", stores.events().latestEvents(room, 5).get(0).eventId());
        assertNull(stores.events().event("$msg").orElseThrow().stateKey());
    }

    @Test
    void aWorkerOverTheCurrentSchemaServesFreshReads() throws Exception {
        String u = "@wk:hs";
        try (Worker worker = Worker.start(new Worker.Settings(URI.create(RelayFixture.base(relay)), url, "127.0.0.1",
                0, "current", TokenStore.inMemory(), "-1", 1000, 2, Duration.ofMillis(300)))) {
            String base = "http://127.0.0.1:" + worker.port();
            long p = awaitRow(() -> writer.pushRule(u, "global/content/x"), "push_rules", "user_id", u);
            assertTrue(worker.client().awaitPosition(p, Duration.ofSeconds(30)), worker.client().lastError());
            JsonNode health = get(base + "/health", 200);
            assertEquals("reading", health.get("status").asText(), health.toString());
            assertEquals("synapse-current", health.get("schema").asText());
            assertEquals("synapse-current", health.get("catalog").asText());
            JsonNode before = get(base + "/users/" + u + "/push_rules", 200);
            assertEquals(1, before.get("push_rules").get("rules").size(), before.toString());

            long q = awaitRow(() -> writer.deletePushRule(u, "global/content/x"), "push_rules", "user_id", u);
            assertTrue(worker.client().awaitPosition(q, Duration.ofSeconds(30)), worker.client().lastError());
            JsonNode after = get(base + "/users/" + u + "/push_rules", 200);
            assertEquals(0, after.get("push_rules").get("rules").size(), after.toString());
            assertTrue(after.get("position").asLong() >= q);

            long r = awaitRow(() -> writer.receipt("!wk:hs", u, "$r", "$t"), "receipts", "user_id", u);
            assertTrue(worker.client().awaitPosition(r, Duration.ofSeconds(30)), worker.client().lastError());
            JsonNode receipts = get(base + "/users/" + u + "/receipts", 200);
            assertEquals("$t", receipts.get("receipts").get(0).get("thread_id").asText(), receipts.toString());
        }
    }

    /** A write that returns its stream id (or anything: the row is found by the gate's last handled row). */
    interface Write {
        long run() throws Exception;
    }

    /**
     * Reads (caching), reads again (a cache hit: the same answer), writes, waits until the reader's position has
     * passed the row the write produced, and checks the next read differs: the cache was invalidated. Returns the
     * write's result.
     */
    private long cachedThenFresh(Supplier<Object> read, Write write) throws Exception {
        Object before = read.get();
        assertEquals(before, read.get(), "a second read answers the same");
        int mark = gate.mark();
        long result = write.run();
        Row row = gate.awaitProcessed(client, r -> true, mark);
        // every row of the write's transaction shares its position: once it is published, all were handled
        assertTrue(client.awaitPosition(row.position(), Duration.ofSeconds(30)));
        Object after = read.get();
        assertNotEquals(before, after, "the write's row invalidated the cached answer");
        return result;
    }

    /** Writes, and returns the position of the first row matching {@code stream}/{@code field} = {@code value}. */
    private long awaitRow(Write write, String stream, String field, String value) throws Exception {
        int mark = gate.mark();
        write.run();
        Predicate<Row> which = StoreGate.row(stream, field, value);
        return gate.awaitProcessed(client, which, mark).position();
    }

    private static JsonNode get(String url, int status) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), url + " -> " + r.body());
        return JSON.readTree(r.body());
    }
}

package io.synrep.client.synapse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The stores' pure rules, without a database: the caches key convention, push rule replay, pruning, change caches. */
class StoreRulesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    /** JSON text as the plain Java values a {@link Row} holds (integers as longs). */
    private static Object value(String text) throws Exception {
        return JSON.copy().enable(DeserializationFeature.USE_LONG_FOR_INTS).readValue(text, Object.class);
    }

    @SuppressWarnings("unchecked")
    private static Row row(String stream, long position, List<String> fields, String values) throws Exception {
        return new Row(stream, position, fields, (List<Object>) value(values));
    }

    @Test
    void cachesStreamKeyConvention() throws Exception {
        assertEquals("@a:t", CacheRegistry.key(value("[\"@a:t\"]")));
        assertEquals(List.of("@a:t", "!r:t"), CacheRegistry.key(value("[\"@a:t\", \"!r:t\"]")));
        assertEquals(List.of(), CacheRegistry.key(value("[]")));
        assertNull(CacheRegistry.key(null), "null keys: the whole cache");
        assertNull(CacheRegistry.key(value("[\"a\", null]")), "a null element names no entry: the whole cache");
    }

    @Test
    void cacheRowsInvalidateByNameAndKey() throws Exception {
        CacheRegistry registry = new CacheRegistry();
        ReaderCache<List<String>, String> pairs = registry.register(new ReaderCache<>("pairs", 10));
        pairs.get(List.of("a", "b"), k -> "ab");
        pairs.get(List.of("a", "c"), k -> "ac");
        List<String> fields = List.of("position", "stream_id", "cache_func", "keys", "invalidation_ts");
        registry.onCacheRow(row("caches", 5, fields, "[5, 1, \"pairs\", [\"a\", \"b\"], 0]"));
        assertNull(pairs.peek(List.of("a", "b")));
        assertEquals("ac", pairs.peek(List.of("a", "c")));
        registry.onCacheRow(row("caches", 6, fields, "[6, 2, \"pairs\", null, 0]"));
        assertEquals(0, pairs.size());
        registry.onCacheRow(row("caches", 7, fields, "[7, 3, \"other\", [\"x\"], 0]"));
        assertEquals(1, registry.unknownInvalidations());
    }

    @Test
    void pushRulesAreTheLogReplayedInOrder() throws Exception {
        PushRuleLog log = new PushRuleLog();
        JsonNode notify = json("[\"notify\"]");
        log.apply(new PushRuleLog.Entry("low", "ADD", 1, 0, json("[]"), notify));
        log.apply(new PushRuleLog.Entry("high", "ADD", 5, 1, json("[]"), notify));
        log.apply(new PushRuleLog.Entry("gone", "ADD", 5, 9, json("[]"), notify));
        log.apply(new PushRuleLog.Entry("low", "DISABLE", null, null, NullNode.getInstance(), NullNode.getInstance()));
        log.apply(new PushRuleLog.Entry("high", "ACTIONS", null, null, NullNode.getInstance(),
                json("[\"dont_notify\"]")));
        log.apply(new PushRuleLog.Entry("gone", "DISABLE", null, null, NullNode.getInstance(), NullNode.getInstance()));
        log.apply(new PushRuleLog.Entry("gone", "DELETE", null, null, NullNode.getInstance(), NullNode.getInstance()));
        log.apply(new PushRuleLog.Entry(".m.rule.master", "ENABLE", null, null, NullNode.getInstance(),
                NullNode.getInstance()));
        log.apply(new PushRuleLog.Entry("x", "BOGUS", null, null, NullNode.getInstance(), NullNode.getInstance()));
        PushStore.PushRules rules = log.result();
        assertEquals(List.of("high", "low"), rules.rules().stream().map(PushStore.PushRule::ruleId).toList());
        assertEquals("dont_notify", rules.rules().get(0).actions().get(0).asText());
        assertFalse(rules.rules().get(1).enabled());
        assertEquals(Map.of("low", false, ".m.rule.master", true), rules.enabled());
    }

    @Test
    void redactionKeepsOnlyWhatTheTypeAllows() throws Exception {
        assertEquals(json("{}"), Redaction.prune("m.room.message", json("{\"body\":\"secret\"}")));
        assertEquals(json("{\"membership\":\"join\"}"),
                Redaction.prune("m.room.member", json("{\"membership\":\"join\",\"displayname\":\"A\"}")));
        assertEquals(json("{\"membership\":\"invite\",\"third_party_invite\":{\"signed\":{\"x\":1}}}"),
                Redaction.prune("m.room.member", json("{\"membership\":\"invite\","
                        + "\"third_party_invite\":{\"display_name\":\"B\",\"signed\":{\"x\":1}}}")));
        assertEquals(json("{\"creator\":\"@a:t\",\"room_version\":\"11\"}"),
                Redaction.prune("m.room.create", json("{\"creator\":\"@a:t\",\"room_version\":\"11\"}")));
        assertEquals(json("{}"), Redaction.prune("m.room.message", NullNode.getInstance()));
    }

    @Test
    void changeCachesKnowNothingUntilTheFirstRowAndAfterAReset() throws Exception {
        EntityChanges changes = new EntityChanges(100);
        List<String> receipt = List.of("position", "stream_id", "room_id", "receipt_type", "user_id", "event_id",
                "data");
        assertTrue(changes.users.hasEntityChanged("@x:t", 1_000), "nothing seen yet: conservatively yes");
        changes.onRow(row("receipts", 100, receipt, "[100, 1, \"!r:t\", \"m.read\", \"@a:t\", \"$e\", \"{}\"]"));
        assertTrue(changes.users.hasEntityChanged("@a:t", 99));
        assertFalse(changes.users.hasEntityChanged("@a:t", 100));
        assertFalse(changes.users.hasEntityChanged("@x:t", 99), "knowledge starts just before the first row");
        assertTrue(changes.users.hasEntityChanged("@x:t", 98));
        assertTrue(changes.rooms.hasEntityChanged("!r:t", 99));

        // a member event whose member is unknown: every user may have changed at that position
        List<String> events = List.of("position", "stream_ordering", "event_id", "room_id", "type", "state_key",
                "redacts");
        changes.onRow(row("events", 200, events, "[200, 1, \"$m\", \"!r:t\", \"m.room.member\", null, null]"));
        assertTrue(changes.users.hasEntityChanged("@x:t", 150));
        assertFalse(changes.users.hasEntityChanged("@x:t", 200));

        changes.reset();
        assertTrue(changes.users.hasEntityChanged("@x:t", 10_000));
        changes.onRow(row("receipts", 300, receipt, "[300, 2, \"!r:t\", \"m.read\", \"@a:t\", \"$e\", \"{}\"]"));
        assertFalse(changes.users.hasEntityChanged("@x:t", 299));
    }

    @Test
    void changeCachesReadBothSchemasFieldNames() throws Exception {
        EntityChanges changes = new EntityChanges(100);
        List<String> seedPushers = List.of("position", "id", "user_name", "kind", "app_id");
        List<String> currentPushers = List.of("position", "stream_id", "user_id", "app_id", "pushkey", "deleted",
                "instance_name");
        changes.onRow(row("pushers", 100, seedPushers, "[100, 1, \"@seed:t\", \"http\", \"a\"]"));
        changes.onRow(row("pushers", 101, currentPushers, "[101, 2, \"@cur:t\", \"a\", \"k\", true, null]"));
        assertTrue(changes.users.hasEntityChanged("@seed:t", 99));
        assertTrue(changes.users.hasEntityChanged("@cur:t", 100));
        assertFalse(changes.users.hasEntityChanged("@other:t", 100), "the user was known: nothing else marked");

        List<String> devices = List.of("position", "stream_id", "user_id", "is_signature", "hosts_calculated",
                "device_id", "instance_name");
        changes.onRow(row("device_lists", 102, devices, "[102, 3, \"@d:t\", false, false, \"DEV\", null]"));
        changes.onRow(row("device_lists", 103, devices, "[103, 4, \"@s:t\", true, false, null, null]"));
        assertTrue(changes.devices.hasEntityChanged(EntityChanges.deviceKey("@d:t", "DEV"), 101));
        assertFalse(changes.devices.hasEntityChanged(EntityChanges.deviceKey("@x:t", "X"), 101),
                "a signature row names no device: the devices cache keeps its knowledge");
        assertTrue(changes.users.hasEntityChanged("@s:t", 102));

        // current Synapse's state deltas on the events stream mark the member
        List<String> events = List.of("position", "stream_ordering", "kind", "event_id", "room_id", "type",
                "state_key", "redacts");
        changes.onRow(row("events", 104, events,
                "[104, 5, \"state\", null, \"!r:t\", \"m.room.member\", \"@left:t\", null]"));
        assertTrue(changes.users.hasEntityChanged("@left:t", 103));
        assertTrue(changes.rooms.hasEntityChanged("!r:t", 103));
    }

    @Test
    void aChangeCacheFedByAStreamTheRelayDoesNotServeAnswersYesUntilItIsServedAgain() throws Exception {
        EntityChanges changes = new EntityChanges(100);
        List<String> receipt = List.of("position", "stream_id", "room_id", "receipt_type", "user_id", "event_id",
                "data");
        changes.onRow(row("receipts", 100, receipt, "[100, 1, \"!r:t\", \"m.read\", \"@a:t\", \"$e\", \"{}\"]"));
        assertFalse(changes.users.hasEntityChanged("@x:t", 100));
        assertFalse(changes.rooms.hasEntityChanged("!other:t", 100));

        changes.blind(Set.of("presence"));
        assertTrue(changes.users.hasEntityChanged("@x:t", 10_000), "presence feeds users: blind");
        assertFalse(changes.rooms.hasEntityChanged("!other:t", 100), "rooms are not fed by presence");
        changes.onRow(row("receipts", 200, receipt, "[200, 2, \"!r:t\", \"m.read\", \"@a:t\", \"$e\", \"{}\"]"));
        assertTrue(changes.users.hasEntityChanged("@x:t", 10_000), "rows do not cure blindness");

        // served again: the reader resyncs (reset) first, then the stores learn it
        changes.reset();
        changes.blind(Set.of());
        changes.onRow(row("receipts", 300, receipt, "[300, 3, \"!r:t\", \"m.read\", \"@a:t\", \"$e\", \"{}\"]"));
        assertFalse(changes.users.hasEntityChanged("@x:t", 300));
    }

    @Test
    void aReadWhoseStreamIsMissingFailsNamingTheStream() {
        MissingStreams missing = new MissingStreams();
        missing.require("receipts", List.of("receipts"));
        missing.set(Set.of("receipts", "presence"));
        StoreException e = assertThrows(StoreException.class,
                () -> missing.require("receipts", List.of("receipts")));
        assertEquals("stream receipts is not served by the relay: receipts read here would never be invalidated",
                e.getMessage());
        missing.require("events", List.of("events", "backfill"));
        e = assertThrows(StoreException.class,
                () -> missing.require("pushers", List.of("presence", "receipts")));
        assertTrue(e.getMessage().startsWith("streams presence, receipts are not served by the relay"), e.getMessage());
    }
}

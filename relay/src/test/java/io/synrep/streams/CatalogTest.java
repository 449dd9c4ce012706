package io.synrep.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {
    /** SPEC §4, in order: stream name to the fields after {@code position}. */
    private static final Map<String, List<String>> SPEC_STREAMS = new LinkedHashMap<>();

    static {
        List<String> eventFields = List.of("stream_ordering", "event_id", "room_id", "type", "state_key", "redacts");
        SPEC_STREAMS.put("events", eventFields);
        SPEC_STREAMS.put("backfill", eventFields);
        SPEC_STREAMS.put("receipts", List.of("stream_id", "room_id", "receipt_type", "user_id", "event_id", "data"));
        SPEC_STREAMS.put("presence", List.of("stream_id", "user_id", "state", "last_active_ts",
                "last_federation_update_ts", "last_user_sync_ts", "status_msg", "currently_active"));
        SPEC_STREAMS.put("user_account_data", List.of("stream_id", "user_id", "type", "content"));
        SPEC_STREAMS.put("room_account_data", List.of("stream_id", "user_id", "room_id", "type", "content"));
        SPEC_STREAMS.put("tag_account_data", List.of("stream_id", "user_id", "room_id"));
        SPEC_STREAMS.put("push_rules", List.of("stream_id", "event_stream_ordering", "user_id", "rule_id", "op",
                "priority_class", "priority", "conditions", "actions"));
        SPEC_STREAMS.put("pushers", List.of("id", "user_name", "kind", "app_id", "app_display_name",
                "device_display_name", "pushkey", "ts", "lang", "data"));
        SPEC_STREAMS.put("deleted_pushers", List.of("stream_id", "user_id", "app_id", "pushkey"));
        SPEC_STREAMS.put("caches", List.of("stream_id", "cache_func", "keys", "invalidation_ts"));
        SPEC_STREAMS.put("to_device", List.of("stream_id", "entity"));
        SPEC_STREAMS.put("public_rooms", List.of("stream_id", "room_id", "visibility", "appservice_id", "network_id"));
        SPEC_STREAMS.put("device_lists", List.of("stream_id", "user_id", "device_id"));
    }

    /** SPEC §4: stream name to its source tables. */
    private static final Map<String, Set<String>> SPEC_SOURCES = Map.ofEntries(
            Map.entry("events", Set.of("events")),
            Map.entry("backfill", Set.of("events")),
            Map.entry("receipts", Set.of("receipts_linearized")),
            Map.entry("presence", Set.of("presence_stream")),
            Map.entry("user_account_data", Set.of("account_data")),
            Map.entry("room_account_data", Set.of("room_account_data")),
            Map.entry("tag_account_data", Set.of("room_tags_revisions")),
            Map.entry("push_rules", Set.of("push_rules_stream")),
            Map.entry("pushers", Set.of("pushers")),
            Map.entry("deleted_pushers", Set.of("deleted_pushers")),
            Map.entry("caches", Set.of("cache_invalidation_stream")),
            Map.entry("to_device", Set.of("device_inbox", "device_federation_outbox")),
            Map.entry("public_rooms", Set.of("public_room_list_stream")),
            Map.entry("device_lists", Set.of("device_lists_stream")));

    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        Path file = Files.createTempFile(dir, "catalog", ".json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }

    // --- built-in catalog -------------------------------------------------------------------------------------

    @Test
    void builtinHasExactlyTheSpecStreamsInOrder() {
        Catalog c = Catalog.builtin();
        assertEquals(14, SPEC_STREAMS.size());
        assertEquals(List.copyOf(SPEC_STREAMS.keySet()), c.streamNames());
        assertEquals(List.copyOf(SPEC_STREAMS.keySet()), List.copyOf(c.rules().keySet()));
    }

    @Test
    void builtinFieldListsMatchTheSpecInOrder() {
        Catalog c = Catalog.builtin();
        SPEC_STREAMS.forEach((name, expected) -> {
            StreamRule r = c.rule(name);
            assertNotNull(r, name);
            assertEquals(name, r.name());
            assertEquals(expected, r.fields(), "fields of " + name);
        });
    }

    @Test
    void builtinSourcesMatchTheSpec() {
        Catalog c = Catalog.builtin();
        SPEC_SOURCES.forEach((name, tables) -> {
            StreamRule r = c.rule(name);
            Set<String> actual = new java.util.HashSet<>();
            r.sources().forEach(s -> {
                actual.add(s.table());
                assertEquals("public", s.schema(), name);
            });
            assertEquals(tables, actual, "sources of " + name);
        });
    }

    @Test
    void builtinEventsAndBackfillSplitOnStreamOrderingAndJoinStateAndRedactions() {
        Catalog c = Catalog.builtin();
        Filter events = c.rule("events").sources().get(0).where().get(0);
        Filter backfill = c.rule("backfill").sources().get(0).where().get(0);
        assertTrue(events.test(1L) && !events.test(0L) && !events.test(-1L));
        assertTrue(backfill.test(-1L) && !backfill.test(0L) && !backfill.test(1L));
        for (String s : List.of("events", "backfill")) {
            Map<String, String> joined = new LinkedHashMap<>();
            c.rule(s).joins().forEach(j -> joined.put(j.table(), String.join(",", j.columns().keySet())));
            assertEquals(Map.of("state_events", "state_key", "redactions", "redacts"), joined, s);
        }
    }

    @Test
    void builtinStreamsProduceRowsOnInsertsAndUpsertsButNotDeletes() {
        for (StreamRule r : Catalog.builtin().rules().values()) {
            for (StreamRule.Source s : r.sources()) {
                assertEquals(Set.of(StreamRule.Operation.INSERT, StreamRule.Operation.UPDATE), s.operations(),
                        r.name() + " from " + s.table());
            }
        }
    }

    @Test
    void builtinToDeviceMapsEntityFromEachSource() {
        Map<String, String> entity = new LinkedHashMap<>();
        Catalog.builtin().rule("to_device").sources().forEach(s -> entity.put(s.table(), s.columns().get("entity")));
        assertEquals(Map.of("device_inbox", "user_id", "device_federation_outbox", "destination"), entity);
    }

    @Test
    void tablesCoversEverySourceAndJoin() {
        Set<String> expected = new java.util.HashSet<>();
        SPEC_SOURCES.values().forEach(ts -> ts.forEach(t -> expected.add("public." + t)));
        expected.add("public.state_events");
        expected.add("public.redactions");
        assertEquals(expected, Catalog.builtin().tables());
    }

    @Test
    void columnsByTableListsWhatEveryRuleReads() {
        Map<String, Set<String>> cols = Catalog.builtin().columnsByTable();
        assertEquals(Catalog.builtin().tables(), cols.keySet());
        // events: mapped columns, the where column; state_events: join match and value columns
        assertTrue(cols.get("public.events").containsAll(Set.of("stream_ordering", "event_id", "room_id", "type")));
        assertTrue(!cols.get("public.events").contains("state_key"), "filled by the join, not read from events");
        assertEquals(Set.of("event_id", "state_key"), cols.get("public.state_events"));
        assertEquals(Set.of("stream_id", "user_id", "account_data_type", "content"), cols.get("public.account_data"),
                "a renamed field reads its column");
        assertEquals(List.of("events", "backfill"), Catalog.builtin().streamsReading("public.state_events"));
        assertEquals(List.of("to_device"), Catalog.builtin().streamsReading("public.device_federation_outbox"));
        assertEquals(List.of(), Catalog.builtin().streamsReading("public.event_json"));
    }

    @Test
    void operationsByTableAreTheSourcesUnionAndInsertsForJoins() throws IOException {
        Path file = write("""
                {"streams": [
                  {"name": "a", "fields": ["id", "note"], "sources": [{"table": "t", "operations": ["insert"]}],
                   "joins": [{"table": "notes", "match": {"id": "id"}, "columns": {"note": "body"}}]},
                  {"name": "b", "fields": ["id"], "sources": [{"table": "t", "operations": ["delete"]},
                                                               {"schema": "s", "table": "u"}]},
                  {"name": "c", "fields": ["id"], "sources": [{"table": "notes", "operations": ["delete"]}]}]}
                """);
        Map<String, Set<StreamRule.Operation>> ops = Catalog.load(file).operationsByTable();
        assertEquals(List.of("public.t", "public.notes", "s.u"), List.copyOf(ops.keySet()));
        assertEquals(Set.of(StreamRule.Operation.INSERT, StreamRule.Operation.DELETE), ops.get("public.t"));
        assertEquals(Set.of(StreamRule.Operation.INSERT, StreamRule.Operation.DELETE), ops.get("public.notes"),
                "a join needs inserts, a source its own operations");
        assertEquals(Set.of(StreamRule.Operation.INSERT, StreamRule.Operation.UPDATE), ops.get("s.u"));
        assertEquals(Set.of(StreamRule.Operation.INSERT), Catalog.builtin().operationsByTable()
                .get("public.state_events"), "read only by joins");
        assertEquals(Catalog.builtin().tables(), Catalog.builtin().operationsByTable().keySet());
    }

    @Test
    void unknownStreamHasNoRule() {
        assertNull(Catalog.builtin().rule("typing"));
        assertNull(Catalog.builtin().rule("federation"));
    }

    // --- operator catalogs -------------------------------------------------------------------------------------

    @Test
    void aFileWithoutExtendsReplacesTheBuiltinCatalog() throws IOException {
        Path file = write("""
                {"streams": [
                  {"name": "audit", "fields": ["id", "who", "what"],
                   "sources": [{"schema": "ops", "table": "audit_log", "operations": ["insert", "delete"],
                                "columns": {"who": "actor"}}]},
                  {"name": "widgets", "fields": ["widget_id"], "sources": [{"table": "widgets"}]}
                ]}
                """);
        Catalog c = Catalog.load(file);
        assertEquals(List.of("audit", "widgets"), c.streamNames());
        assertNull(c.rule("events"));
        StreamRule audit = c.rule("audit");
        assertEquals(List.of("id", "who", "what"), audit.fields());
        StreamRule.Source src = audit.sources().get(0);
        assertEquals("ops", src.schema());
        assertEquals("audit_log", src.table());
        assertEquals(Set.of(StreamRule.Operation.INSERT, StreamRule.Operation.DELETE), src.operations());
        assertEquals(Map.of("id", "id", "who", "actor", "what", "what"), src.columns());
        assertEquals(List.of(), src.where());
        // operations default to inserts and upserts
        assertEquals(Set.of(StreamRule.Operation.INSERT, StreamRule.Operation.UPDATE),
                c.rule("widgets").sources().get(0).operations());
        assertEquals(Set.of("ops.audit_log", "public.widgets"), c.tables());
    }

    @Test
    void extendsBuiltinOverridesOneStreamAndAddsAnother() throws IOException {
        Path file = write("""
                {"extends": "builtin",
                 "streams": [
                   {"name": "receipts", "fields": ["stream_id", "room_id", "user_id"],
                    "sources": [{"table": "my_receipts"}]},
                   {"name": "widgets", "fields": ["widget_id", "state"],
                    "sources": [{"table": "widgets", "where": {"column": "widget_id", "op": ">=", "value": 10}}]}
                 ]}
                """);
        Catalog c = Catalog.load(file);
        assertEquals(15, c.streamNames().size());
        List<String> expectedOrder = new java.util.ArrayList<>(SPEC_STREAMS.keySet());
        expectedOrder.add("widgets");
        assertEquals(expectedOrder, c.streamNames(), "overrides keep their place, additions go last");
        assertEquals(List.of("stream_id", "room_id", "user_id"), c.rule("receipts").fields());
        assertEquals("my_receipts", c.rule("receipts").sources().get(0).table());
        assertEquals(SPEC_STREAMS.get("events"), c.rule("events").fields());
        Filter w = c.rule("widgets").sources().get(0).where().get(0);
        assertEquals("widget_id", w.column());
        assertTrue(w.test(10) && !w.test(9.5));
        assertTrue(c.tables().contains("public.my_receipts"));
        assertTrue(c.tables().contains("public.widgets"));
        assertTrue(c.tables().contains("public.events"));
        assertTrue(!c.tables().contains("public.receipts_linearized"), "the overridden stream's old table is gone");
    }

    @Test
    void extendsMayOnlyNameBuiltinOrABuiltinCatalog() throws IOException {
        assertProblem("""
                {"extends": "other", "streams": []}
                """, "\"extends\"", "\"other\"", "synapse-seed");
        assertProblem("""
                {"extends": ["builtin"], "streams": []}
                """, "\"extends\"");
    }

    @Test
    void builtinCatalogsAreNamedAndEachNameHasItsResource() {
        assertEquals(List.of("synapse-seed", "synapse-current"), Catalog.BUILTIN_NAMES);
        assertTrue(Catalog.BUILTIN_NAMES.contains(Catalog.DEFAULT_BUILTIN));
        for (String name : Catalog.BUILTIN_NAMES) {
            assertNotNull(Catalog.class.getResource(Catalog.resource(name)), name);
            assertFalse(Catalog.builtin(name).streamNames().isEmpty(), name);
        }
        assertEquals("/io/synrep/streams/catalog-synapse-seed.json", Catalog.resource("synapse-seed"));
        assertEquals(Catalog.builtin().rules(), Catalog.builtin("synapse-seed").rules());
    }

    @Test
    void anUnknownBuiltinNameIsRefusedWithTheKnownNames() {
        CatalogException e = assertThrows(CatalogException.class, () -> Catalog.builtin("synapse-2019"));
        assertTrue(e.getMessage().contains("\"synapse-2019\"") && e.getMessage().contains("synapse-seed"),
                e.getMessage());
    }

    @Test
    void extendsMayNameTheBuiltinCatalog() throws IOException {
        Path file = write("""
                {"extends": "synapse-seed", "streams": [
                  {"name": "widgets", "fields": ["widget_id"], "sources": [{"table": "widgets"}]}]}
                """);
        List<String> expected = new java.util.ArrayList<>(SPEC_STREAMS.keySet());
        expected.add("widgets");
        assertEquals(expected, Catalog.load(file).streamNames());
        assertEquals(expected, Catalog.load(file, "synapse-seed").streamNames());
    }

    @Test
    void extendsBuiltinMeansTheCatalogTheCallerSelected() throws IOException {
        Path other = write("""
                {"streams": [{"name": "alpha", "fields": ["id"], "sources": [{"table": "a"}]},
                             {"name": "beta", "fields": ["id"], "sources": [{"table": "b"}]}]}
                """);
        Map<String, Catalog> builtins = Map.of("synapse-seed", Catalog.builtin(), "other", Catalog.load(other));
        Path file = write("""
                {"extends": "builtin", "drop": ["alpha"], "streams": [
                  {"name": "gamma", "fields": ["id"], "sources": [{"table": "c"}]}]}
                """);
        assertEquals(List.of("beta", "gamma"), Catalog.load(file, "other", builtins::get).streamNames());
        Path named = write("""
                {"extends": "synapse-seed", "drop": ["events"], "streams": []}
                """);
        assertEquals(13, Catalog.load(named, "other", builtins::get).streamNames().size(),
                "a name means that catalog whatever was selected");
    }

    @Test
    void dropRemovesBuiltinStreamsWhileReplacementsKeepTheirPlaceAndAdditionsGoLast() throws IOException {
        Path file = write("""
                {"extends": "builtin", "drop": ["public_rooms", "backfill"],
                 "streams": [
                   {"name": "widgets", "fields": ["widget_id"], "sources": [{"table": "widgets"}]},
                   {"name": "presence", "fields": ["stream_id", "user_id"], "sources": [{"table": "my_presence"}]}
                 ]}
                """);
        Catalog c = Catalog.load(file);
        List<String> expected = new java.util.ArrayList<>(SPEC_STREAMS.keySet());
        expected.removeAll(List.of("public_rooms", "backfill"));
        expected.add("widgets");
        assertEquals(expected, c.streamNames());
        assertNull(c.rule("public_rooms"));
        assertEquals("my_presence", c.rule("presence").sources().get(0).table());
        assertFalse(c.tables().contains("public.public_room_list_stream"));
        assertTrue(c.tables().contains("public.events"), "events still reads it");
    }

    @Test
    void dropNeedsExtends() throws IOException {
        assertProblem("""
                {"drop": ["events"], "streams": []}
                """, "\"drop\"", "needs \"extends\"");
        assertEquals(List.of(), Catalog.load(write("{\"drop\": null, \"streams\": []}")).streamNames(),
                "null is no drop");
    }

    @Test
    void aFileThatExtendsMayOnlyDropWithoutAStreamsArray() throws IOException {
        Catalog c = Catalog.load(write("{\"extends\": \"synapse-current\", \"drop\": [\"receipts\"]}"));
        assertFalse(c.streamNames().contains("receipts"));
        assertTrue(c.streamNames().contains("account_data"));
        assertProblem("{\"drop\": [\"events\"]}", "missing \"streams\" array");
    }

    @Test
    void dropMayOnlyNameStreamsOfTheBaseCatalog() throws IOException {
        assertProblem("""
                {"extends": "builtin", "drop": ["typing"], "streams": []}
                """, "\"drop\"", "\"typing\"", "\"synapse-seed\"", "does not have");
        assertProblem("""
                {"extends": "builtin", "drop": ["events", "events"], "streams": []}
                """, "\"events\"", "twice");
        assertProblem("""
                {"extends": "builtin", "drop": "events", "streams": []}
                """, "\"drop\"", "array of strings");
    }

    @Test
    void aStreamCannotBeBothDroppedAndDefined() throws IOException {
        assertProblem("""
                {"extends": "builtin", "drop": ["receipts"], "streams": [
                  {"name": "receipts", "fields": ["stream_id"], "sources": [{"table": "receipts_linearized"}]}]}
                """, "stream \"receipts\"", "both dropped and defined");
    }

    @Test
    void theSelectedBuiltinMustExist() throws IOException {
        Path file = write("""
                {"extends": "builtin", "streams": []}
                """);
        CatalogException e = assertThrows(CatalogException.class, () -> Catalog.load(file, "synapse-2019"));
        assertTrue(e.getMessage().contains("synapse-2019"), e.getMessage());
    }

    @Test
    void theCatalogFormatExampleLoads() throws IOException {
        String doc = Files.readString(Path.of("docs", "catalog.md"));
        int section = doc.indexOf("\n## Catalog format\n");
        assertTrue(section >= 0, "docs/catalog.md has a Catalog format section");
        int start = doc.indexOf("```json\n", section) + "```json\n".length();
        String example = doc.substring(start, doc.indexOf("```", start));
        Catalog c = Catalog.load(write(example));
        assertNull(c.rule("public_rooms"));
        StreamRule orders = c.rule("orders");
        assertEquals(Set.of("details"), orders.json());
        assertEquals(3, orders.sources().get(0).where().size());
        assertEquals(Set.of("id", "customer_id", "total", "details", "status", "deleted_at"),
                c.columnsByTable().get("shop.orders"));
        assertEquals(Set.of("id", "client", "total"), c.columnsByTable().get("shop.old_orders"),
                "constants are no columns");
    }

    // --- invalid catalogs ----------------------------------------------------------------------------------------

    private CatalogException assertProblem(String json, String... mentions) throws IOException {
        Path file = write(json);
        CatalogException e = assertThrows(CatalogException.class, () -> Catalog.load(file));
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "message '" + e.getMessage() + "' should mention '" + m + "'");
        }
        return e;
    }

    @Test
    void missingStreamsArray() throws IOException {
        CatalogException e = assertProblem("{\"stream\": []}", "streams");
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertProblem("{\"streams\": {}}", "streams");
    }

    @Test
    void notAnObjectOrNotJson() throws IOException {
        assertProblem("[]", "JSON object");
        assertProblem("{\"streams\": [", "cannot read");
        Path gone = dir.resolve("missing.json");
        CatalogException e = assertThrows(CatalogException.class, () -> Catalog.load(gone));
        assertTrue(e.getMessage().contains("missing.json"), e.getMessage());
    }

    @Test
    void badStreamName() throws IOException {
        for (String bad : List.of("Events", "1st", "with-dash", "", "a b")) {
            assertProblem("{\"streams\": [{\"name\": \"" + bad + "\", \"fields\": [\"x\"], \"sources\": [{\"table\": \"t\"}]}]}",
                    "stream name", "\"" + bad + "\"");
        }
        assertProblem("{\"streams\": [{\"fields\": [\"x\"], \"sources\": [{\"table\": \"t\"}]}]}", "stream name");
    }

    @Test
    void metaStreamNameIsReserved() throws IOException {
        assertProblem("{\"streams\": [{\"name\": \"streams\", \"fields\": [\"x\"], \"sources\": [{\"table\": \"t\"}]}]}",
                "reserved");
    }

    @Test
    void duplicateStream() throws IOException {
        assertProblem("""
                {"streams": [
                  {"name": "dup", "fields": ["x"], "sources": [{"table": "t"}]},
                  {"name": "dup", "fields": ["y"], "sources": [{"table": "u"}]}
                ]}
                """, "\"dup\"", "twice");
    }

    @Test
    void positionIsNotAField() throws IOException {
        assertProblem("{\"streams\": [{\"name\": \"s\", \"fields\": [\"id\", \"position\"], \"sources\": [{\"table\": \"t\"}]}]}",
                "stream \"s\"", "position");
    }

    @Test
    void fieldsMustBeDistinctAndNonEmpty() throws IOException {
        assertProblem("{\"streams\": [{\"name\": \"s\", \"fields\": [\"id\", \"id\"], \"sources\": [{\"table\": \"t\"}]}]}",
                "distinct");
        assertProblem("{\"streams\": [{\"name\": \"s\", \"fields\": [], \"sources\": [{\"table\": \"t\"}]}]}",
                "at least one field");
        assertProblem("{\"streams\": [{\"name\": \"s\", \"sources\": [{\"table\": \"t\"}]}]}", "fields");
    }

    @Test
    void sourcesAreRequired() throws IOException {
        assertProblem("{\"streams\": [{\"name\": \"s\", \"fields\": [\"id\"]}]}", "sources");
        assertProblem("{\"streams\": [{\"name\": \"s\", \"fields\": [\"id\"], \"sources\": []}]}", "sources");
        assertProblem("{\"streams\": [{\"name\": \"s\", \"fields\": [\"id\"], \"sources\": [{}]}]}", "table");
    }

    @Test
    void joinNamingAnUnknownField() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["event_id", "state_key"],
                  "sources": [{"table": "events"}],
                  "joins": [{"table": "state_events", "match": {"event_id": "event_id"},
                             "columns": {"nope": "state_key"}}]}]}
                """, "stream \"s\"", "\"nope\"");
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["event_id", "state_key"],
                  "sources": [{"table": "events"}],
                  "joins": [{"table": "state_events", "match": {"event_id": "missing_field"},
                             "columns": {"state_key": "state_key"}}]}]}
                """, "\"missing_field\"");
    }

    @Test
    void joinNeedsMatchAndColumns() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["event_id"], "sources": [{"table": "events"}],
                  "joins": [{"table": "state_events", "columns": {"event_id": "event_id"}}]}]}
                """, "state_events", "match");
    }

    @Test
    void sourceColumnForAnUnknownField() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"],
                  "sources": [{"table": "t", "columns": {"other": "x"}}]}]}
                """, "\"other\"");
    }

    @Test
    void badOperation() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"],
                  "sources": [{"table": "t", "operations": ["insert", "truncate"]}]}]}
                """, "stream \"s\"", "\"truncate\"", "insert, update, delete");
    }

    @Test
    void badWhereOperator() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"],
                  "sources": [{"table": "t", "where": {"column": "id", "op": "LIKE", "value": 1}}]}]}
                """, "stream \"s\"", "where");
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"],
                  "sources": [{"table": "t", "where": {"column": "id", "op": ">", "value": "1"}}]}]}
                """, "numeric");
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"],
                  "sources": [{"table": "t", "where": {"op": ">", "value": 1}}]}]}
                """, "column");
    }

    @Test
    void constantsAreParsedAndAreNoColumnsTheTableMustHave() throws IOException {
        Path file = write("""
                {"streams": [{"name": "s", "fields": ["id", "room_id", "deleted", "kind", "n"],
                  "sources": [{"table": "t", "constants": {"room_id": null, "deleted": true, "kind": "k", "n": 2}}]}]}
                """);
        Catalog c = Catalog.load(file);
        StreamRule.Source src = c.rule("s").sources().get(0);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("room_id", null);
        expected.put("deleted", true);
        expected.put("kind", "k");
        expected.put("n", 2);
        assertEquals(expected, src.constants());
        assertEquals(Map.of("id", "id"), src.columns());
        assertEquals(Map.of("public.t", Set.of("id")), c.columnsByTable());
    }

    @Test
    void constantForAnUnknownField() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"],
                  "sources": [{"table": "t", "constants": {"other": 1}}]}]}
                """, "stream \"s\"", "source \"t\"", "\"constants\"", "\"other\"", "not one of its fields");
    }

    @Test
    void aFieldIsEitherAColumnOrAConstant() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id", "kind"],
                  "sources": [{"table": "t", "columns": {"kind": "k"}, "constants": {"kind": "x"}}]}]}
                """, "stream \"s\"", "\"kind\"", "both \"columns\" and \"constants\"");
    }

    @Test
    void constantsAreJsonScalars() throws IOException {
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id", "kind"],
                  "sources": [{"table": "t", "constants": {"kind": {"a": 1}}}]}]}
                """, "stream \"s\"", "\"constants.kind\"", "string, a finite number, a boolean or null");
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id", "kind"],
                  "sources": [{"table": "t", "constants": {"kind": [1]}}]}]}
                """, "\"constants.kind\"");
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id", "kind"],
                  "sources": [{"table": "t", "constants": ["kind"]}]}]}
                """, "stream \"s\"", "\"constants\" must be an object");
    }

    @Test
    void whereIsOneConditionOrAnArrayOfThemAndEveryWhereColumnIsRead() throws IOException {
        Path file = write("""
                {"streams": [{"name": "s", "fields": ["id"], "sources": [
                  {"table": "t", "where": {"column": "n", "op": ">=", "value": 2.5}},
                  {"table": "u", "where": [{"column": "kind", "op": "!=", "value": "m.x"},
                                           {"column": "flag", "op": "=", "value": false},
                                           {"column": "gone", "op": "is null"},
                                           {"column": "here", "op": "Is  Not Null"}]}]}]}
                """);
        Catalog c = Catalog.load(file);
        assertEquals(List.of(new Filter("n", Filter.Op.GE, new java.math.BigDecimal("2.5"))),
                c.rule("s").sources().get(0).where());
        assertEquals(List.of(new Filter("kind", Filter.Op.NE, "m.x"), new Filter("flag", Filter.Op.EQ, false),
                        new Filter("gone", Filter.Op.IS_NULL, null), new Filter("here", Filter.Op.IS_NOT_NULL, null)),
                c.rule("s").sources().get(1).where());
        assertEquals(Set.of("id", "n"), c.columnsByTable().get("public.t"));
        assertEquals(Set.of("id", "kind", "flag", "gone", "here"), c.columnsByTable().get("public.u"));
    }

    private static String whereCatalog(String where) {
        return "{\"streams\": [{\"name\": \"s\", \"fields\": [\"id\"], \"sources\": [{\"table\": \"t\", \"where\": "
                + where + "}]}]}";
    }

    @Test
    void textAndBooleanValuesTakeOnlyEqualityOps() throws IOException {
        assertProblem(whereCatalog("{\"column\": \"kind\", \"op\": \"<\", \"value\": \"m\"}"),
                "stream \"s\"", "source \"t\"", "\"where\" on \"kind\"", "numeric", "text \"value\" takes only");
        assertProblem(whereCatalog("{\"column\": \"flag\", \"op\": \">=\", \"value\": true}"),
                "\"where\" on \"flag\"", "boolean \"value\" takes only");
    }

    @Test
    void comparisonsNeedAValueAndNullTestsTakeNone() throws IOException {
        assertProblem(whereCatalog("{\"column\": \"n\", \"op\": \"=\"}"), "stream \"s\"", "\"where\" on \"n\"",
                "\"=\" needs a \"value\"");
        assertProblem(whereCatalog("{\"column\": \"n\", \"op\": \"!=\", \"value\": null}"),
                "\"where\" on \"n\"", "use \"op\": \"is null\"");
        assertProblem(whereCatalog("{\"column\": \"n\", \"op\": \"is null\", \"value\": 1}"),
                "\"where\" on \"n\"", "\"is null\" takes no \"value\"");
        assertProblem(whereCatalog("{\"column\": \"n\", \"op\": \"is not null\", \"value\": null}"),
                "\"is not null\" takes no \"value\"");
    }

    @Test
    void unknownOpsAndOddValuesAreRefused() throws IOException {
        assertProblem(whereCatalog("{\"column\": \"n\", \"op\": \"<>\", \"value\": 1}"), "stream \"s\"",
                "\"<>\" is not one of", "\"is null\"");
        assertProblem(whereCatalog("{\"column\": \"n\"}"), "\"op\" null is not one of");
        assertProblem(whereCatalog("{\"column\": \"n\", \"op\": \"=\", \"value\": [1]}"),
                "\"value\" must be a number, a string or a boolean");
        assertProblem(whereCatalog("[{\"column\": \"n\", \"op\": \"is null\"}, \"n > 1\"]"), "stream \"s\"",
                "\"where\" must be an object or an array of objects");
        assertProblem(whereCatalog("\"n > 1\""), "\"where\" must be an object or an array of objects");
    }

    @Test
    void jsonFieldsAreFieldsOfTheStream() throws IOException {
        Path file = write("""
                {"streams": [{"name": "s", "fields": ["id", "content", "data"], "json": ["content", "data"],
                  "sources": [{"table": "t"}]}]}
                """);
        assertEquals(Set.of("content", "data"), Catalog.load(file).rule("s").json());
        assertEquals(Set.of(), Catalog.builtin().rule("receipts").json());
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"], "json": ["content"], "sources": [{"table": "t"}]}]}
                """, "stream \"s\"", "\"json\" names \"content\"", "not one of its fields");
        assertProblem("""
                {"streams": [{"name": "s", "fields": ["id"], "json": "id", "sources": [{"table": "t"}]}]}
                """, "stream \"s\"", "\"json\" must be an array of strings");
    }

    @Test
    void theMessageNamesTheFile() throws IOException {
        Path file = write("{\"streams\": [{\"name\": \"s\", \"fields\": [\"position\"], \"sources\": [{\"table\": \"t\"}]}]}");
        CatalogException e = assertThrows(CatalogException.class, () -> Catalog.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void anExtendingFileIsValidatedToo() throws IOException {
        assertProblem("""
                {"extends": "builtin", "streams": [
                  {"name": "events", "fields": ["stream_ordering", "position"], "sources": [{"table": "events"}]}]}
                """, "position");
    }
}

package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.client.synapse.EventsStore;
import io.synrep.client.synapse.PushStore;
import io.synrep.client.synapse.SlavedStores;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Decisions of the slaved stores that need no relay, on a real PostgreSQL: which schema {@link SlavedStores#open}
 * detects, how a null push rule flag reads on current Synapse's schema, and that an event found absent is not
 * cached. No reader is attached, so nothing invalidates any cache here: whatever a read returns a second time that
 * the first did not, came from the database.
 */
class StoreDecisionsIT {
    // --- W23: schema detection ------------------------------------------------------------------------------------

    @Test
    void theSeedSchemaIsDetectedAsSeedEvenWithASeedEraSchemaVersion() throws Exception {
        String url = TestPostgres.freshDatabase("detectseed");
        assertEquals("synapse-seed", schemaOf(url));
        // a seed-era Synapse has schema_version too, below 72
        sql(url, "CREATE TABLE schema_version (lock char(1) DEFAULT 'X' NOT NULL, version integer NOT NULL,"
                + " upgraded boolean NOT NULL)", "INSERT INTO schema_version (version, upgraded) VALUES (45, true)");
        assertEquals("synapse-seed", schemaOf(url));
    }

    @Test
    void withoutTheMarkerTablesSchemaVersion72OrLaterMeansCurrent() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("detectversion");
        assertEquals("synapse-current", schemaOf(url), "by its tables");
        // without cache_invalidation_stream_by_instance only schema_version can tell (it says 95)
        sql(url, "DROP TABLE cache_invalidation_stream_by_instance");
        assertEquals("synapse-current", schemaOf(url), "by schema_version 95");
        sql(url, "UPDATE schema_version SET version = 72");
        assertEquals("synapse-current", schemaOf(url), "by schema_version 72");
        // 71: below current Synapse's first full schema, so seed (this database has the seed tables too)
        sql(url, "UPDATE schema_version SET version = 71");
        assertEquals("synapse-seed", schemaOf(url), "by schema_version 71");
    }

    // --- D3: a null push_rules_enable.enabled ----------------------------------------------------------------------

    @Test
    void onTheCurrentSchemaANullEnabledFlagReadsAsDisabled() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("nullenabled");
        String u = "@flags:hs";
        for (String rule : new String[] {"global/content/on", "global/content/off", "global/content/null"}) {
            sql(url, "INSERT INTO push_rules (id, user_name, rule_id, priority_class, priority, conditions, actions)"
                    + " VALUES (nextval('push_rules_id_seq'), '" + u + "', '" + rule + "', 5, 0, '[]', '[]')");
        }
        sql(url, "INSERT INTO push_rules_enable (id, user_name, rule_id, enabled) VALUES"
                + " (nextval('push_rules_enable_id_seq'), '" + u + "', 'global/content/on', 1),"
                + " (nextval('push_rules_enable_id_seq'), '" + u + "', 'global/content/off', 0),"
                + " (nextval('push_rules_enable_id_seq'), '" + u + "', 'global/content/null', NULL),"
                + " (nextval('push_rules_enable_id_seq'), '" + u + "', '.m.rule.master', NULL)");
        try (SlavedStores stores = SlavedStores.open(url, new Properties(), 1, 100)) {
            assertEquals("synapse-current", stores.schema());
            PushStore.PushRules rules = stores.push().pushRules(u);
            Map<String, Boolean> byRule = rules.rules().stream()
                    .collect(Collectors.toMap(PushStore.PushRule::ruleId, PushStore.PushRule::enabled));
            assertEquals(Map.of("global/content/on", true, "global/content/off", false, "global/content/null", false),
                    byRule);
            assertEquals(Map.of("global/content/on", true, "global/content/off", false, "global/content/null", false,
                    ".m.rule.master", false), rules.enabled(), "a server rule's null flag is off too");
        }
    }

    // --- D7: absent events are not cached --------------------------------------------------------------------------

    @Test
    void anEventFoundAbsentIsFoundOnceWrittenThoughNothingInvalidatedIt() throws Exception {
        String url = TestPostgres.freshDatabase("absentevent");
        try (SlavedStores stores = SlavedStores.open(url, new Properties(), 1, 100)) {
            // control: a present event is cached, so with nothing invalidating, a change to it is not seen
            insertEvent(url, "$known", "first");
            assertEquals("first", body(stores.events().event("$known")));
            sql(url, "UPDATE event_json SET json = '{\"content\":{\"body\":\"second\"}}' WHERE event_id = '$known'");
            assertEquals("first", body(stores.events().event("$known")), "cached, and no reader invalidates it");

            assertEquals(Optional.empty(), stores.events().event("$late"));
            // written with no stream row read by anyone: only the database can make the next read find it
            insertEvent(url, "$late", "late");
            assertEquals("late", body(stores.events().event("$late")), "absence was not cached");
        }
    }

    private static void insertEvent(String url, String id, String body) throws SQLException {
        sql(url, "INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier,"
                + " stream_ordering) VALUES (1, '" + id + "', 'm.room.message', '!absent:t', true, false,"
                + " nextval('events_stream_seq'))",
                "INSERT INTO event_json (event_id, room_id, internal_metadata, json) VALUES ('" + id + "', '!absent:t',"
                        + " '{}', '{\"content\":{\"body\":\"" + body + "\"}}')");
    }

    private static String body(Optional<EventsStore.Event> e) {
        assertTrue(e.isPresent(), "the event is found");
        return e.get().content().path("body").asText();
    }

    private static String schemaOf(String url) {
        try (SlavedStores stores = SlavedStores.open(url, new Properties(), 1, 100)) {
            return stores.schema();
        }
    }

    private static void sql(String url, String... statements) throws SQLException {
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }
}

package io.synrep.client.synapse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.capture.CatalogChoice;
import io.synrep.it.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The relay ({@link CatalogChoice}, what {@code serve} without {@code --catalog} runs) and the slaved stores
 * ({@link SynapseSchema#detect}) pick the same built-in catalog for the same database (README, "Writing a reader":
 * "the relay's own detection, so both pick the same catalog"; "Streams and the catalog"), on real databases of each
 * kind: the seed-era tables, current Synapse, current Synapse known only by its {@code schema_version} (72 or
 * later), current Synapse known only by its tables, and a seed-era Synapse that has a {@code schema_version} below 72.
 */
class SchemaDetectionIT {
    @Test
    void theSeedSchemaIsSeedForBoth() throws Exception {
        Detected d = detect(TestPostgres.freshDatabase("detect_seed"), null);
        d.assertBoth("synapse-seed");
        assertTrue(d.reason.contains("cache_invalidation_stream exists"), d.reason);
    }

    @Test
    void currentSynapseIsCurrentForBothFromItsSchemaVersion() throws Exception {
        Detected d = detect(TestPostgres.freshCurrentSynapseDatabase("detect_current"), null);
        d.assertBoth("synapse-current");
        assertTrue(d.reason.contains("schema_version 95"), d.reason);
    }

    /** schema_version 72 or later says current even without the tables that mark it. */
    @Test
    void aSchemaVersionOf72OrLaterIsCurrentForBothWithoutTheMarkerTables() throws Exception {
        Detected d = detect(TestPostgres.freshCurrentSynapseDatabase("detect_version"),
                "DROP TABLE cache_invalidation_stream_by_instance; UPDATE schema_version SET version = 72");
        d.assertBoth("synapse-current");
        assertTrue(d.reason.contains("schema_version 72"), d.reason);
    }

    @Test
    void withoutSchemaVersionCurrentSynapseIsKnownByItsTables() throws Exception {
        Detected d = detect(TestPostgres.freshCurrentSynapseDatabase("detect_tables"), "DROP TABLE schema_version");
        d.assertBoth("synapse-current");
        assertTrue(d.reason.contains("cache_invalidation_stream_by_instance exists"), d.reason);
    }

    /** A Synapse from before schema 72 has a schema_version too; it says nothing then, and the tables say seed. */
    @Test
    void aSchemaVersionBelow72LeavesTheSeedSchemaSeedForBoth() throws Exception {
        Detected d = detect(TestPostgres.freshDatabase("detect_old"), "CREATE TABLE schema_version (lock char(1) "
                + "DEFAULT 'X' NOT NULL UNIQUE, version integer NOT NULL, upgraded boolean NOT NULL); "
                + "INSERT INTO schema_version (version, upgraded) VALUES (58, true)");
        d.assertBoth("synapse-seed");
    }

    private record Detected(String relay, String stores, String reason) {
        void assertBoth(String catalog) {
            assertEquals(catalog, relay, "the relay's catalog (" + reason + ")");
            assertEquals(catalog, stores, "the stores' catalog");
        }
    }

    private static Detected detect(String url, String change) throws SQLException {
        try (Connection c = TestPostgres.connect(url)) {
            if (change != null) {
                try (Statement st = c.createStatement()) {
                    st.execute(change);
                }
            }
            CatalogChoice relay = CatalogChoice.choose(c, CatalogChoice.DETECT);
            return new Detected(relay.name(), SynapseSchema.detect(c).catalog, relay.reason());
        }
    }
}

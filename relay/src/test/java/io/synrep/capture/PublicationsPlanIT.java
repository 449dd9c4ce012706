package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.it.TestPostgres;
import io.synrep.streams.StreamRule.Operation;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link Publications#plan} on a real database for a publication NAME that already publishes more than inserts (made
 * by hand or by an older relay): it is kept while it harms no writer statement or while a slot reads it, and
 * otherwise narrowed to inserts with NAME_upd and NAME_del beside it.
 */
class PublicationsPlanIT {
    private static final Map<String, Set<Operation>> NEEDED = Map.of(
            "public.appended", EnumSet.of(Operation.INSERT),
            "public.upserted", EnumSet.of(Operation.INSERT, Operation.UPDATE));

    @Test
    void aWidePublicationThatHarmsNoWriterStatementIsKeptAsASinglePublication() throws Exception {
        try (Connection c = database("ALTER TABLE appended ADD PRIMARY KEY (stream_id); "
                + "ALTER TABLE upserted REPLICA IDENTITY USING INDEX upserted_key")) {
            Publications plan = Publications.plan(c, "wide", NEEDED, false);
            assertTrue(plan.single(), plan.toString());
            assertTrue(plan.safe(), plan.toString());
            assertEquals("wide", plan.streamed());
            assertEquals(List.of(), plan.statements());
        }
    }

    @Test
    void aWidePublicationThatWouldBreakTheWriterIsNarrowedWhenNoSlotReadsIt() throws Exception {
        try (Connection c = database(null)) {
            Publications plan = Publications.plan(c, "wide", NEEDED, false);
            assertFalse(plan.single(), plan.toString());
            assertEquals("wide,wide_upd", plan.streamed());
            assertEquals("ALTER PUBLICATION \"wide\" SET (publish = 'insert')", plan.statements().get(0));
            assertTrue(plan.statements().contains("CREATE PUBLICATION \"wide_upd\" WITH (publish = 'update')"),
                    plan.statements().toString());
            // the update publication needs the identity first: the plan says so and is not safe to run yet
            assertEquals(List.of("public.upserted"),
                    plan.identityFixes().stream().map(f -> f.identity().table()).toList());
            assertFalse(plan.safe());
        }
    }

    @Test
    void aWidePublicationThatASlotReadsIsKeptEvenWhenItBreaksTheWriter() throws Exception {
        try (Connection c = database(null)) {
            Publications plan = Publications.plan(c, "wide", NEEDED, true);
            assertTrue(plan.single(), plan.toString());
            assertEquals("wide", plan.streamed());
            // kept whole, it publishes updates and deletes of both tables: both need an identity first
            assertFalse(plan.safe(), "the identity fixes are still required");
            assertEquals(Set.of("public.upserted", "public.appended"),
                    Set.copyOf(plan.identityFixes().stream().map(f -> f.identity().table()).toList()));
            assertEquals(List.of(), plan.statements());
        }
    }

    /** A fresh database with the two tables in a publication {@code wide} that publishes every operation. */
    private static Connection database(String extra) throws SQLException {
        String url = TestPostgres.freshDatabase("pubplan");
        Connection c = TestPostgres.connect(url);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE appended (stream_id BIGINT NOT NULL, v TEXT)");
            st.execute("CREATE TABLE upserted (k TEXT NOT NULL, v TEXT, CONSTRAINT upserted_key UNIQUE (k))");
            if (extra != null) {
                st.execute(extra);
            }
            st.execute("CREATE PUBLICATION wide FOR TABLE appended, upserted");
        }
        return c;
    }
}

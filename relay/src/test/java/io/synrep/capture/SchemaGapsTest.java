package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.streams.Catalog;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** From what the database lacks to each stream's state (the lookups themselves run in SchemaChangeIT). */
class SchemaGapsTest {
    static final Catalog BUILTIN = Catalog.builtin();

    @Test
    void noGapsMeansEveryStreamOkInCatalogOrder() {
        Map<String, String> states = new SchemaGaps(List.of(), List.of(), List.of()).streamStates(BUILTIN, "synrep");
        assertEquals(BUILTIN.streamNames(), List.copyOf(states.keySet()));
        assertTrue(states.values().stream().allMatch("ok"::equals), states.toString());
    }

    @Test
    void aMissingJoinTableBreaksEveryStreamThatJoinsIt() {
        Map<String, String> states = new SchemaGaps(List.of("public.state_events"), List.of(), List.of())
                .streamStates(BUILTIN, "synrep");
        assertTrue(states.get("events").startsWith("error: table public.state_events does not exist"), states.get("events"));
        assertTrue(states.get("backfill").startsWith("error: table public.state_events"), states.get("backfill"));
        assertEquals("ok", states.get("receipts"));
    }

    @Test
    void aMissingColumnNamesTheColumnAndTheFix() {
        Map<String, String> states = new SchemaGaps(List.of(), List.of("public.receipts_linearized.data"), List.of())
                .streamStates(BUILTIN, "synrep");
        String s = states.get("receipts");
        assertTrue(s.startsWith("error: column public.receipts_linearized.data does not exist"), s);
        assertTrue(s.contains("fix the catalog's \"columns\""), s);
        assertEquals(1, states.values().stream().filter(v -> !v.equals("ok")).count());
    }

    @Test
    void anUnpublishedTableNamesTheAlterPublicationCommand() {
        Map<String, String> states = new SchemaGaps(List.of(), List.of(), List.of("public.device_inbox"))
                .streamStates(BUILTIN, "pub");
        assertTrue(states.get("to_device").contains("ALTER PUBLICATION pub ADD TABLE \"public\".\"device_inbox\""),
                states.get("to_device"));
    }

    @Test
    void aDroppedTableWinsOverItsColumnsAndPublication() {
        Map<String, String> states = new SchemaGaps(List.of("public.pushers"), List.of("public.device_inbox.user_id"),
                List.of("public.device_inbox")).streamStates(BUILTIN, "pub");
        assertTrue(states.get("pushers").startsWith("error: table public.pushers does not exist"));
        assertTrue(states.get("to_device").startsWith("error: column public.device_inbox.user_id"), states.get("to_device"));
    }

    @Test
    void streamStatesReportOnlyChangesAndComeBackToOk() {
        StreamStates states = new StreamStates(BUILTIN, "synrep");
        assertTrue(states.current().values().stream().allMatch("ok"::equals));
        SchemaGaps dropped = new SchemaGaps(List.of("public.pushers"), List.of(), List.of());
        assertEquals(List.of("pushers"), List.copyOf(states.update(dropped).keySet()));
        assertEquals(Map.of(), states.update(dropped), "no change, nothing reported again");
        assertTrue(states.current().get("pushers").startsWith("error: table public.pushers"));
        assertEquals(Map.of("pushers", "ok"), states.update(new SchemaGaps(List.of(), List.of(), List.of())));
        assertEquals("ok", states.current().get("pushers"));
    }

    @Test
    void aTableWhoseWriterStatementsFailWinsOverEveryOtherGap() {
        Map<String, String> states = new SchemaGaps(List.of(), List.of("public.account_data.content"), List.of(),
                List.of("public.account_data")).streamStates(BUILTIN, "pub");
        String s = states.get("user_account_data");
        assertTrue(s.startsWith("error: the writer's UPDATE and DELETE on public.account_data FAIL"), s);
        assertTrue(s.contains("synrep prepare --apply"), s);
        assertEquals("ok", states.get("receipts"));
    }
}

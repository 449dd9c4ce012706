package io.synrep.streams;

import io.synrep.log.Transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source's {@code update_when_changed}: an UPDATE produces a row only when it changed one of the columns, as far as
 * the WAL tells (the whole old row under FULL, the identity's columns when they changed otherwise); a doubt keeps it.
 */
class TransactionMapperUpdateWhenChangedTest {
    private static final Schema PUSHERS = SchemaBuilder.struct().name("t.public.pushers.Value")
            .field("id", Schema.INT64_SCHEMA).field("user_name", Schema.STRING_SCHEMA)
            .field("last_stream_ordering", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final String CATALOG = """
            {"streams": [{"name": "pushers", "fields": ["id", "user_name"],
              "sources": [{"table": "pushers", "operations": ["insert", "update"], "update_when_changed": ["id"]}]}]}
            """;

    @TempDir
    Path dir;

    private static Struct row(long id, long progress) {
        return new Struct(PUSHERS).put("id", id).put("user_name", "@a:x").put("last_stream_ordering", progress);
    }

    @Test
    void underADefaultIdentityAnUpdateWithoutAnOldKeyLeftTheKeyAlone() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, CATALOG);
        mapper.deletesCarryOnly(Map.of("public.pushers", Set.of("id")));
        mapper.change("public", "pushers", 'c', null, row(1, 0));
        mapper.change("public", "pushers", 'u', null, row(1, 5)); // bookkeeping: pgoutput sent no old key
        Struct oldKey = new Struct(PUSHERS).put("id", 1L).put("user_name", "");
        mapper.change("public", "pushers", 'u', oldKey, row(2, 5)); // the upsert moved the key
        assertEquals(List.of(",1,\"@a:x\"", ",2,\"@a:x\""), MappedRows.finish(mapper, "pushers"));
    }

    @Test
    void underFullTheOldRowDecides() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, CATALOG);
        mapper.change("public", "pushers", 'u', row(1, 0), row(1, 5));
        mapper.change("public", "pushers", 'u', row(1, 5), row(3, 5));
        assertEquals(List.of(",3,\"@a:x\""), MappedRows.finish(mapper, "pushers"));
    }

    @Test
    void aColumnOutsideANonFullIdentityCannotBeJudgedSoTheRowIsKept() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, CATALOG);
        mapper.deletesCarryOnly(Map.of("public.pushers", Set.of("user_name")));
        mapper.change("public", "pushers", 'u', null, row(1, 5));
        assertEquals(List.of(",1,\"@a:x\""), MappedRows.finish(mapper, "pushers"));
    }

    @Test
    void updateWhenChangedNeedsUpdatesToBeStreamed() throws Exception {
        Path file = dir.resolve("c.json");
        Files.writeString(file, """
                {"streams": [{"name": "p", "fields": ["id"],
                  "sources": [{"table": "pushers", "operations": ["insert"], "update_when_changed": ["id"]}]}]}
                """);
        CatalogException e = assertThrows(CatalogException.class, () -> Catalog.load(file));
        assertTrue(e.getMessage().contains("\"update_when_changed\" needs \"update\" in \"operations\""), e.getMessage());
    }
}

package io.synrep.streams;

import io.synrep.log.Transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synrep.log.Pages;
import io.synrep.capture.TransactionBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deletes of tables without REPLICA IDENTITY FULL stream only what the WAL carried: the identity columns. */
class TransactionMapperIdentityTest {
    private static final Schema ROW = SchemaBuilder.struct()
            .field("id", Schema.INT64_SCHEMA)
            .field("counter", Schema.INT32_SCHEMA)
            .field("note", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    @Test
    void fieldsOutsideTheIdentityAreNullInDeletesOnly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, "{\"streams\": [{\"name\": \"items\", \"fields\": [\"id\", \"counter\", \"note\"],"
                + " \"sources\": [{\"table\": \"items\", \"operations\": [\"insert\", \"update\", \"delete\"]}]}]}");
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(Catalog.load(file),
                new TransactionBuffer(dir.resolve("spill"), Long.MAX_VALUE));
        mapper.deletesCarryOnly(Map.of("public.items", Set.of("id")));
        Struct row = new Struct(ROW).put("id", 7L).put("counter", 3).put("note", "n");
        // what Debezium hands over for a key-only old row: the NOT NULL counter as 0
        Struct keyOnly = new Struct(ROW).put("id", 7L).put("counter", 0);
        mapper.change("public", "items", 'c', null, row);
        mapper.change("public", "items", 'u', row, row);
        mapper.change("public", "items", 'd', keyOnly, null);
        var tx = mapper.finish(100);
        assertEquals(List.of(",7,3,\"n\"", ",7,3,\"n\"", ",7,null,null"), tails(Pages.readBack(tx, "items")));
    }

    @Test
    void tablesNotDeclaredKeepTheWholeOldRow(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, "{\"streams\": [{\"name\": \"full\", \"fields\": [\"id\", \"counter\", \"note\"],"
                + " \"sources\": [{\"table\": \"full_items\", \"operations\": [\"delete\"]}]}]}");
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(Catalog.load(file),
                new TransactionBuffer(dir.resolve("spill"), Long.MAX_VALUE));
        mapper.deletesCarryOnly(Map.of("public.items", Set.of("id")));
        mapper.change("public", "full_items", 'd', new Struct(ROW).put("id", 1L).put("counter", 3).put("note", "n"),
                null);
        assertEquals(List.of(",1,3,\"n\""), tails(Pages.readBack(mapper.finish(100), "full")));
    }

    private static List<String> tails(List<byte[]> rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(t -> out.add(new String(t, StandardCharsets.UTF_8)));
        return out;
    }
}

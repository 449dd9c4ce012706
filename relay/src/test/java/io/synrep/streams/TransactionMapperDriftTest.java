package io.synrep.streams;

import io.synrep.log.Transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows of a table whose schema changes between changes, as Debezium hands them over after a Relation message: a new
 * schema version with a column more (ignored: the catalog names its fields) or a column less (the field is null and
 * the drift is reported once per version).
 */
class TransactionMapperDriftTest {
    private static final Schema V1 = SchemaBuilder.struct().name("t.public.widgets.Value")
            .field("id", Schema.INT64_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA)
            .field("weight", Schema.OPTIONAL_INT32_SCHEMA).build();
    private static final Schema ADDED = SchemaBuilder.struct().name("t.public.widgets.Value")
            .field("id", Schema.INT64_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA)
            .field("weight", Schema.OPTIONAL_INT32_SCHEMA).field("size", Schema.OPTIONAL_INT32_SCHEMA).build();
    private static final Schema NAME_DROPPED = SchemaBuilder.struct().name("t.public.widgets.Value")
            .field("id", Schema.INT64_SCHEMA).field("weight", Schema.OPTIONAL_INT32_SCHEMA).build();
    private static final Schema WEIGHT_DROPPED = SchemaBuilder.struct().name("t.public.widgets.Value")
            .field("id", Schema.INT64_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA).build();

    @TempDir
    Path dir;

    record Missing(String stream, String table, String column) {}

    @Test
    void aColumnMoreIsIgnoredAndAColumnLessIsNullAndReportedOncePerVersion() throws Exception {
        List<Missing> missing = new ArrayList<>();
        TransactionMapper<Transaction> mapper = mapper(missing);
        mapper.change("public", "widgets", 'c', null, new Struct(V1).put("id", 1L).put("name", "a").put("weight", 5));
        mapper.change("public", "widgets", 'c', null,
                new Struct(ADDED).put("id", 2L).put("name", "b").put("weight", 5).put("size", 9));
        mapper.change("public", "widgets", 'c', null, new Struct(NAME_DROPPED).put("id", 3L).put("weight", 5));
        mapper.change("public", "widgets", 'c', null, new Struct(NAME_DROPPED).put("id", 4L).put("weight", 5));
        assertEquals(List.of(",1,\"a\"", ",2,\"b\"", ",3,null", ",4,null"), rows(mapper));
        assertEquals(List.of(new Missing("widgets", "public.widgets", "name")), missing, "once for the version");
    }

    @Test
    void aDroppedWhereColumnIsReportedBecauseItsRowsAreFilteredOut() throws Exception {
        List<Missing> missing = new ArrayList<>();
        TransactionMapper<Transaction> mapper = mapper(missing);
        mapper.change("public", "widgets", 'c', null, new Struct(V1).put("id", 1L).put("name", "a").put("weight", 5));
        mapper.change("public", "widgets", 'c', null, new Struct(WEIGHT_DROPPED).put("id", 2L).put("name", "b"));
        assertEquals(List.of(",1,\"a\""), rows(mapper));
        assertEquals(List.of(new Missing("widgets", "public.widgets", "weight")), missing);
    }

    private TransactionMapper<Transaction> mapper(List<Missing> missing) throws Exception {
        Path f = dir.resolve("catalog.json");
        Files.writeString(f, """
                {"streams": [{"name": "widgets", "fields": ["id", "name"],
                  "sources": [{"table": "widgets", "where": {"column": "weight", "op": ">", "value": 0}}]}]}
                """);
        return new TransactionMapper<>(Catalog.load(f), new io.synrep.capture.TransactionBuffer(dir.resolve("spill"),
                Long.MAX_VALUE), (stream, table, column) -> missing.add(new Missing(stream, table, column)));
    }

    private static List<String> rows(TransactionMapper<Transaction> mapper) {
        List<String> out = new ArrayList<>();
        mapper.finish(100).rows().getOrDefault("widgets", List.of())
                .forEach(r -> out.add(new String(r, StandardCharsets.UTF_8)));
        return out;
    }
}

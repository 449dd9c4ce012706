package io.synrep.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synrep.log.Pages;
import io.synrep.log.Transaction;
import io.synrep.capture.TransactionBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every {@code where} form, with SQL's NULL semantics, over rows shaped like Debezium's. */
class TransactionMapperFilterTest {
    /** A numeric column as capture configures Debezium: decimals as text, the source type as a parameter. */
    private static final Schema NUMERIC = SchemaBuilder.string().optional()
            .parameter(ColumnJson.SOURCE_TYPE, "NUMERIC").build();
    private static final Schema ITEMS = SchemaBuilder.struct().name("t.public.items.Value")
            .field("id", Schema.INT64_SCHEMA)
            .field("kind", Schema.OPTIONAL_STRING_SCHEMA)
            .field("flag", Schema.OPTIONAL_BOOLEAN_SCHEMA)
            .field("amount", NUMERIC)
            .field("score", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ratio", Schema.OPTIONAL_FLOAT64_SCHEMA)
            .field("note", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    /** Stream name to its {@code where}; every stream streams the id of items. */
    private static final Map<String, String> FILTERS = new LinkedHashMap<>();

    static {
        FILTERS.put("score_gt", "{\"column\": \"score\", \"op\": \">\", \"value\": 0}");
        FILTERS.put("score_eq", "{\"column\": \"score\", \"op\": \"=\", \"value\": 5}");
        FILTERS.put("score_ne", "{\"column\": \"score\", \"op\": \"!=\", \"value\": 5}");
        FILTERS.put("score_exact", "{\"column\": \"score\", \"op\": \">=\", \"value\": 9007199254740993}");
        FILTERS.put("amount_gt", "{\"column\": \"amount\", \"op\": \">\", \"value\": 10}");
        FILTERS.put("amount_le", "{\"column\": \"amount\", \"op\": \"<=\", \"value\": 0}");
        FILTERS.put("ratio_ge", "{\"column\": \"ratio\", \"op\": \">=\", \"value\": 0}");
        FILTERS.put("ratio_lt", "{\"column\": \"ratio\", \"op\": \"<\", \"value\": 0.75}");
        FILTERS.put("kind_eq", "{\"column\": \"kind\", \"op\": \"=\", \"value\": \"a\"}");
        FILTERS.put("kind_ne", "{\"column\": \"kind\", \"op\": \"!=\", \"value\": \"a\"}");
        FILTERS.put("flag_eq", "{\"column\": \"flag\", \"op\": \"=\", \"value\": true}");
        FILTERS.put("flag_ne", "{\"column\": \"flag\", \"op\": \"!=\", \"value\": true}");
        FILTERS.put("note_null", "{\"column\": \"note\", \"op\": \"is null\"}");
        FILTERS.put("note_not_null", "{\"column\": \"note\", \"op\": \"IS NOT NULL\"}");
        FILTERS.put("all_of", "[{\"column\": \"score\", \"op\": \">\", \"value\": 0},"
                + " {\"column\": \"flag\", \"op\": \"=\", \"value\": true},"
                + " {\"column\": \"kind\", \"op\": \"!=\", \"value\": \"a\"}]");
        FILTERS.put("text_vs_number_eq", "{\"column\": \"score\", \"op\": \"=\", \"value\": \"5\"}");
        FILTERS.put("text_vs_number_ne", "{\"column\": \"score\", \"op\": \"!=\", \"value\": \"5\"}");
    }

    @TempDir
    Path dir;

    @Test
    void everyFilterFormWithNullFailingEveryComparison() throws Exception {
        TransactionMapper<Transaction> mapper = mapper(catalog(FILTERS));
        insert(mapper, row(1, "a", true, "10.50", 5L, 0.5, "x"));
        insert(mapper, row(2, "b", false, "9.99", -1L, Double.NaN, null));
        insert(mapper, row(3, null, null, null, null, null, null));
        insert(mapper, row(4, "A", true, "NAN", 9007199254740993L, -0.0, "y"));
        insert(mapper, row(5, "a", false, "-0", 9007199254740992L, 1.0, "z"));
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("score_gt", List.of("1", "4", "5"));
        expected.put("score_eq", List.of("1"));
        expected.put("score_ne", List.of("2", "4", "5"));
        expected.put("score_exact", List.of("4"));
        expected.put("amount_gt", List.of("1", "4")); // numeric text as a decimal; NaN above every number
        expected.put("amount_le", List.of("5"));
        expected.put("ratio_ge", List.of("1", "2", "4", "5")); // NaN above every number, -0 equal to 0
        expected.put("ratio_lt", List.of("1", "4"));
        expected.put("kind_eq", List.of("1", "5"));
        expected.put("kind_ne", List.of("2", "4"));
        expected.put("flag_eq", List.of("1", "4"));
        expected.put("flag_ne", List.of("2", "5"));
        expected.put("note_null", List.of("2", "3"));
        expected.put("note_not_null", List.of("1", "4", "5"));
        expected.put("all_of", List.of("4"));
        expected.put("text_vs_number_eq", List.of());
        expected.put("text_vs_number_ne", List.of());
        assertEquals(expected, ids(mapper.finish(100), FILTERS.keySet()));
    }

    @Test
    void aFilterColumnTheSchemaVersionLacksFiltersOutEvenForIsNull() throws Exception {
        Schema noNote = SchemaBuilder.struct().name("t.public.items.Value").field("id", Schema.INT64_SCHEMA).build();
        List<String> missing = new ArrayList<>();
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(Catalog.load(write(catalog(Map.of(
                "note_null", "{\"column\": \"note\", \"op\": \"is null\"}")))), buffer(),
                (stream, table, column) -> missing.add(column));
        insert(mapper, row(1, null, null, null, null, null, null));
        mapper.change("public", "items", 'c', null, new Struct(noNote).put("id", 2L));
        assertEquals(Map.of("note_null", List.of("1")), ids(mapper.finish(100), Set.of("note_null")));
        assertEquals(List.of("note"), missing);
    }

    @Test
    void aValueTheWalDidNotCarryIsNullToTheFilterAndReported() throws Exception {
        List<String> unavailable = new ArrayList<>();
        Map<String, String> filters = new LinkedHashMap<>();
        filters.put("note_ne", "{\"column\": \"note\", \"op\": \"!=\", \"value\": \"x\"}");
        filters.put("note_null", "{\"column\": \"note\", \"op\": \"is null\"}");
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(Catalog.load(write(catalog(filters))), buffer(),
                TransactionMapper.Drift.NONE, (schema, table, column) -> unavailable.add(column));
        Struct unchanged = row(1, "a", true, "1", 1L, 1.0, UnavailableValue.PLACEHOLDER);
        mapper.change("public", "items", 'u', null, unchanged);
        assertEquals(Map.of("note_ne", List.of(), "note_null", List.of("1")),
                ids(mapper.finish(100), filters.keySet()));
        assertEquals(List.of("note", "note"), unavailable, "once per filter that read it");
    }

    @Test
    void aDeleteFilterColumnOutsideTheReplicaIdentityIsNull() throws Exception {
        Map<String, String> filters = new LinkedHashMap<>();
        filters.put("score_eq_zero", "{\"column\": \"score\", \"op\": \"=\", \"value\": 0}");
        filters.put("score_null", "{\"column\": \"score\", \"op\": \"is null\"}");
        Path file = write(catalog(filters).replace("\"table\": \"items\"",
                "\"table\": \"items\", \"operations\": [\"delete\"]"));
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(Catalog.load(file), buffer());
        mapper.deletesCarryOnly(Map.of("public.items", Set.of("id")));
        // a key-only old row: Debezium fills the NOT NULL-looking score with its zero value
        mapper.change("public", "items", 'd', row(1, null, null, null, 0L, null, null), null);
        assertEquals(Map.of("score_eq_zero", List.of(), "score_null", List.of("1")),
                ids(mapper.finish(100), filters.keySet()));
    }

    private static Struct row(long id, String kind, Boolean flag, String amount, Long score, Double ratio,
                              String note) {
        return new Struct(ITEMS).put("id", id).put("kind", kind).put("flag", flag).put("amount", amount)
                .put("score", score).put("ratio", ratio).put("note", note);
    }

    private static void insert(TransactionMapper<Transaction> mapper, Struct row) {
        mapper.change("public", "items", 'c', null, row);
    }

    private static String catalog(Map<String, String> filters) {
        StringBuilder sb = new StringBuilder("{\"streams\": [");
        filters.forEach((name, where) -> sb.append(sb.length() > 13 ? ",\n" : "\n").append("{\"name\": \"")
                .append(name).append("\", \"fields\": [\"id\"], \"sources\": [{\"table\": \"items\", \"where\": ")
                .append(where).append("}]}"));
        return sb.append("]}").toString();
    }

    private Path write(String json) throws Exception {
        Path file = Files.createTempFile(dir, "catalog", ".json");
        Files.writeString(file, json);
        return file;
    }

    private TransactionBuffer buffer() {
        return new TransactionBuffer(dir.resolve("spill"), Long.MAX_VALUE);
    }

    private TransactionMapper<Transaction> mapper(String catalog) throws Exception {
        return new TransactionMapper<>(Catalog.load(write(catalog)), buffer());
    }

    /** Stream name to the ids it streamed, for each of {@code streams}. */
    private static Map<String, List<String>> ids(Transaction tx, Set<String> streams) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String stream : streams) {
            List<String> ids = new ArrayList<>();
            Pages.readBack(tx, stream).forEach(t -> ids.add(new String(t, StandardCharsets.UTF_8).substring(1)));
            out.put(stream, ids);
        }
        return out;
    }
}

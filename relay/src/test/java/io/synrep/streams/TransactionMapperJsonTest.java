package io.synrep.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synrep.log.Pages;
import io.synrep.log.Transaction;
import io.synrep.protocol.RowEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text columns holding JSON, named in a stream's {@code "json"}: embedded when they parse, text when they don't. */
class TransactionMapperJsonTest {
    private static final Schema DOCS = SchemaBuilder.struct().name("t.public.docs.Value")
            .field("id", Schema.INT64_SCHEMA)
            .field("content", Schema.OPTIONAL_STRING_SCHEMA)
            .field("other", Schema.OPTIONAL_STRING_SCHEMA)
            .field("n", Schema.OPTIONAL_INT32_SCHEMA)
            .build();
    private static final Schema NOTES = SchemaBuilder.struct().name("t.public.notes.Value")
            .field("doc_id", Schema.INT64_SCHEMA)
            .field("body", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    @TempDir
    Path dir;

    @Test
    void textThatIsOneJsonValueIsEmbeddedOnlyInJsonFields() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [{"name": "docs", "fields": ["id", "content", "other"], "json": ["content"],
                  "sources": [{"table": "docs"}]}]}
                """);
        String[] json = {"{\"a\":[1,2,{\"b\":null}]}", " [1, 2] ", "123", "\"s\"", "true", "null", "{}"};
        for (int i = 0; i < json.length; i++) {
            mapper.change("public", "docs", 'c', null, doc(i, json[i], json[i]));
        }
        assertEquals(List.of(
                ",0,{\"a\":[1,2,{\"b\":null}]},\"{\\\"a\\\":[1,2,{\\\"b\\\":null}]}\"",
                ",1, [1, 2] ,\" [1, 2] \"",
                ",2,123,\"123\"",
                ",3,\"s\",\"\\\"s\\\"\"",
                ",4,true,\"true\"",
                ",5,null,\"null\"",
                ",6,{},\"{}\""), MappedRows.finish(mapper, "docs"), "only content is embedded; other stays text");
    }

    @Test
    void textThatIsNotJsonIsStreamedUnchangedAndNeverFailsCapture() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [{"name": "docs", "fields": ["id", "content"], "json": ["content"],
                  "sources": [{"table": "docs"}]}]}
                """);
        String deep = "[".repeat(1001) + "]".repeat(1001); // beyond Jackson's nesting limit
        String[] notJson = {"{not json", "{} trailing", "{}{}", "1 2", "", "   ", "NaN", "'single'", "01",
                "{\"a\":1,}", "\uFEFF{}", "tru", deep};
        for (int i = 0; i < notJson.length; i++) {
            mapper.change("public", "docs", 'c', null, doc(i, notJson[i], null));
        }
        List<String> rows = MappedRows.finish(mapper, "docs");
        assertEquals(notJson.length, rows.size());
        for (int i = 0; i < notJson.length; i++) {
            byte[] asText = new RowEncoder().encodeTail(new Object[] {(long) i, notJson[i]});
            assertEquals(new String(asText, StandardCharsets.UTF_8), rows.get(i), "streamed as text: " + notJson[i]);
        }
    }

    @Test
    void aJsonFieldThatIsNotTextIsStreamedAsItIs() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [{"name": "docs", "fields": ["id", "content"], "json": ["content"],
                  "sources": [{"table": "docs", "columns": {"content": "n"}}]}]}
                """);
        mapper.change("public", "docs", 'c', null, doc(1, "{}", null).put("n", 7));
        mapper.change("public", "docs", 'c', null, doc(2, "{}", null));
        assertEquals(List.of(",1,7", ",2,null"), MappedRows.finish(mapper, "docs"));
    }

    @Test
    void aJsonFieldFilledByAJoinOrAConstantIsEmbeddedToo() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [
                  {"name": "docs", "fields": ["id", "content", "note", "meta"], "json": ["note", "meta"],
                   "sources": [{"table": "docs", "constants": {"meta": "{\\"v\\": 1}"}}],
                   "joins": [{"table": "notes", "match": {"doc_id": "id"}, "columns": {"note": "body"}}]},
                  {"name": "plain", "fields": ["id", "note"],
                   "sources": [{"table": "docs"}],
                   "joins": [{"table": "notes", "match": {"doc_id": "id"}, "columns": {"note": "body"}}]}]}
                """);
        mapper.change("public", "docs", 'c', null, doc(1, "{}", null));
        mapper.change("public", "docs", 'c', null, doc(2, "{}", null));
        mapper.change("public", "notes", 'c', null, new Struct(NOTES).put("doc_id", 1L).put("body", "[\"n\"]"));
        mapper.change("public", "notes", 'c', null, new Struct(NOTES).put("doc_id", 2L).put("body", "[oops"));
        var tx = mapper.finish(100);
        assertEquals(List.of(",1,\"{}\",[\"n\"],{\"v\": 1}", ",2,\"{}\",\"[oops\",{\"v\": 1}"), tails(tx, "docs"));
        assertEquals(List.of(",1,\"[\\\"n\\\"]\"", ",2,\"[oops\""), tails(tx, "plain"),
                "an equal join of a stream without json fields keeps the text");
    }

    private static Struct doc(long id, String content, String other) {
        return new Struct(DOCS).put("id", id).put("content", content).put("other", other);
    }

    private static List<String> tails(Transaction tx, String stream) {
        return Pages.readBack(tx, stream).stream().map(t -> new String(t, StandardCharsets.UTF_8)).toList();
    }
}

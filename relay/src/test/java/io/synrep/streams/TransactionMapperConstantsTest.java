package io.synrep.streams;

import io.synrep.log.Transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fields a source supplies as constants, and streams whose sources read different columns. */
class TransactionMapperConstantsTest {
    private static final Schema ACCOUNT_DATA = SchemaBuilder.struct().name("t.public.account_data.Value")
            .field("stream_id", Schema.INT64_SCHEMA).field("user_id", Schema.STRING_SCHEMA)
            .field("account_data_type", Schema.STRING_SCHEMA).build();
    private static final Schema ROOM_ACCOUNT_DATA = SchemaBuilder.struct().name("t.public.room_account_data.Value")
            .field("stream_id", Schema.INT64_SCHEMA).field("user_id", Schema.STRING_SCHEMA)
            .field("room_id", Schema.STRING_SCHEMA).field("account_data_type", Schema.STRING_SCHEMA).build();
    private static final Schema FORGOTTEN = SchemaBuilder.struct().name("t.public.forgotten.Value")
            .field("seq", Schema.INT64_SCHEMA).field("who", Schema.STRING_SCHEMA)
            .field("room_id", Schema.STRING_SCHEMA).build();

    @TempDir
    Path dir;

    @Test
    void constantsOfEveryJsonTypeIncludingNullAreStreamedInsteadOfColumns() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [{"name": "rooms",
                  "fields": ["seq", "room_id", "deleted", "kind", "weight", "ratio", "big"],
                  "sources": [{"table": "forgotten", "columns": {"seq": "seq"},
                    "constants": {"room_id": null, "deleted": true, "kind": "forget", "weight": 3, "ratio": 1.5,
                                  "big": 12345678901234567890}}]}]}
                """);
        mapper.change("public", "forgotten", 'c', null,
                new Struct(FORGOTTEN).put("seq", 7L).put("who", "@a:x").put("room_id", "!r:x"));
        assertEquals(List.of(",7,null,true,\"forget\",3,1.5,12345678901234567890"), MappedRows.finish(mapper, "rooms"),
                "room_id is the constant null although the table has a room_id column");
    }

    @Test
    void sourcesOfOneStreamReadDifferentColumnsAndConstants() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [{"name": "account_data",
                  "fields": ["stream_id", "user_id", "room_id", "type", "forgotten"],
                  "sources": [
                    {"table": "account_data", "columns": {"type": "account_data_type"},
                     "constants": {"room_id": null, "forgotten": false}},
                    {"table": "room_account_data", "columns": {"type": "account_data_type"},
                     "constants": {"forgotten": false}},
                    {"table": "forgotten", "columns": {"stream_id": "seq", "user_id": "who"},
                     "constants": {"type": "m.forgotten", "forgotten": true}}]}]}
                """);
        mapper.change("public", "room_account_data", 'c', null, new Struct(ROOM_ACCOUNT_DATA).put("stream_id", 1L)
                .put("user_id", "@a:x").put("room_id", "!r:x").put("account_data_type", "m.fully_read"));
        mapper.change("public", "account_data", 'u', null, new Struct(ACCOUNT_DATA).put("stream_id", 2L)
                .put("user_id", "@a:x").put("account_data_type", "m.direct"));
        mapper.change("public", "forgotten", 'c', null,
                new Struct(FORGOTTEN).put("seq", 3L).put("who", "@a:x").put("room_id", "!r:x"));
        assertEquals(List.of(
                ",1,\"@a:x\",\"!r:x\",\"m.fully_read\",false",
                ",2,\"@a:x\",null,\"m.direct\",false",
                ",3,\"@a:x\",\"!r:x\",\"m.forgotten\",true"), MappedRows.finish(mapper, "account_data"));
    }

    @Test
    void constantsReachRowsThatWaitForAJoin() throws Exception {
        TransactionMapper<Transaction> mapper = MappedRows.mapper(dir, """
                {"streams": [{"name": "forgets", "fields": ["seq", "kind", "type"],
                  "sources": [{"table": "forgotten", "constants": {"kind": "forget"}}],
                  "joins": [{"table": "account_data", "match": {"stream_id": "seq"},
                             "columns": {"type": "account_data_type"}}]}]}
                """);
        mapper.change("public", "forgotten", 'c', null,
                new Struct(FORGOTTEN).put("seq", 1L).put("who", "@a:x").put("room_id", "!r:x"));
        mapper.change("public", "forgotten", 'c', null,
                new Struct(FORGOTTEN).put("seq", 2L).put("who", "@a:x").put("room_id", "!r:x"));
        mapper.change("public", "account_data", 'c', null, new Struct(ACCOUNT_DATA).put("stream_id", 2L)
                .put("user_id", "@a:x").put("account_data_type", "m.direct"));
        assertEquals(List.of(",1,\"forget\",null", ",2,\"forget\",\"m.direct\""), MappedRows.finish(mapper, "forgets"));
    }
}

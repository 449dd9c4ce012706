package io.synrep.streams;

import io.synrep.log.Transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.log.Pages;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debezium's placeholder for an unchanged TOASTed value is recognised in all its forms, and never streamed. */
class UnavailableValueTest {
    private static final String P = UnavailableValue.PLACEHOLDER;
    private static final byte[] BYTES = P.getBytes(StandardCharsets.UTF_8);

    @Test
    void everyFormDebeziumUsesIsRecognised() {
        assertTrue(UnavailableValue.is(P));
        assertTrue(UnavailableValue.is(BYTES.clone()));
        assertTrue(UnavailableValue.is(ByteBuffer.wrap(BYTES.clone())));
        assertTrue(UnavailableValue.is(java.util.Base64.getEncoder().encodeToString(BYTES)));
        assertTrue(UnavailableValue.is(UUID.nameUUIDFromBytes(BYTES).toString()));
        assertTrue(UnavailableValue.is(List.of(P)));
        assertTrue(UnavailableValue.is(List.of(ByteBuffer.wrap(BYTES.clone()))));
        List<Integer> ints = new ArrayList<>();
        List<Long> longs = new ArrayList<>();
        for (byte b : BYTES) {
            ints.add((int) b);
            longs.add((long) b);
        }
        assertTrue(UnavailableValue.is(ints));
        assertTrue(UnavailableValue.is(longs));
    }

    @Test
    void dataIsNot() {
        assertFalse(UnavailableValue.is(""));
        assertFalse(UnavailableValue.is(P + " "));
        assertFalse(UnavailableValue.is("__debezium_unavailable_valuf"));
        assertFalse(UnavailableValue.is(new byte[0]));
        assertFalse(UnavailableValue.is(List.of()));
        assertFalse(UnavailableValue.is(List.of(P, P)));
        assertFalse(UnavailableValue.is(List.of(1, 2, 3)));
        assertFalse(UnavailableValue.is(42L));
        assertFalse(UnavailableValue.is(null));
    }

    @Test
    void anUpdateStreamsNullInsteadAndReportsTheColumn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, "{\"streams\": [{\"name\": \"docs\", \"fields\": [\"id\", \"body\", \"meta\"],"
                + " \"sources\": [{\"table\": \"docs\", \"operations\": [\"insert\", \"update\"]}]}]}");
        Schema row = SchemaBuilder.struct()
                .field("id", Schema.INT64_SCHEMA)
                .field("body", Schema.OPTIONAL_STRING_SCHEMA)
                .field("meta", SchemaBuilder.string().name(ColumnJson.JSON).optional().build())
                .build();
        List<String> reported = new ArrayList<>();
        TransactionMapper<Transaction> mapper = new TransactionMapper<>(Catalog.load(file),
                new io.synrep.capture.TransactionBuffer(dir.resolve("spill"), Long.MAX_VALUE), TransactionMapper.Drift.NONE,
                (schema, table, column) -> reported.add(schema + "." + table + "." + column));
        // an INSERT of the placeholder text is data (only UPDATE rows can hold Debezium's placeholder)
        mapper.change("public", "docs", 'c', null, new Struct(row).put("id", 1L).put("body", P).put("meta", "{}"));
        mapper.change("public", "docs", 'u', null, new Struct(row).put("id", 1L).put("body", P).put("meta", P));
        List<String> tails = new ArrayList<>();
        for (byte[] t : Pages.readBack(mapper.finish(100), "docs")) {
            tails.add(new String(t, StandardCharsets.UTF_8));
        }
        assertEquals(List.of(",1,\"" + P + "\",{}", ",1,null,null"), tails);
        assertEquals(List.of("public.docs.body", "public.docs.meta"), reported);
    }
}

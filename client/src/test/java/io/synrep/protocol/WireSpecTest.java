package io.synrep.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The wire as readers see it, written out literally: a change here is a change of the contract (SPEC.md and the
 * OpenAPI document), never a refactoring.
 */
class WireSpecTest {
    @Test
    void pathsHeadersAndParameters() {
        assertEquals("/_synapse/replication", Endpoint.PATH);
        assertEquals("/_synapse/replication/catalog", Endpoint.CATALOG_PATH);
        assertEquals("Synrep-Epoch", Endpoint.EPOCH_HEADER);
        assertEquals("Retry-After", Endpoint.RETRY_AFTER_HEADER);
        assertEquals("Bearer s3cret", Endpoint.bearer("s3cret"));
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("receipts", "now");
        tokens.put("events", "-1");
        tokens.put("caches", "23924640");
        assertEquals("/_synapse/replication?timeout=30000&limit=100&receipts=now&events=-1&caches=23924640",
                Endpoint.pollPath(tokens, 30_000, 100, null));
        assertEquals("/_synapse/replication?timeout=0&limit=1&events=5&epoch=6f1c%2F2%3A0%2F16B3748",
                Endpoint.pollPath(Map.of("events", "5"), 0, 1, "6f1c/2:0/16B3748"));
        assertEquals("/_synapse/replication?streams=-1&timeout=0", Endpoint.metaStreamPath());
    }

    @Test
    void tokens() {
        assertEquals("-1", Position.OLDEST_TOKEN);
        assertEquals("now", Position.NOW_TOKEN);
        assertEquals("now", Position.canonicalToken("now"));
        assertEquals("-1", Position.canonicalToken("-1"));
        assertEquals("23803720", Position.canonicalToken("0/16B3748"));
        assertEquals("17", Position.canonicalToken("17"));
        assertTrue(Position.isSymbolic("now") && Position.isSymbolic("-1"));
        assertFalse(Position.isSymbolic("0") || Position.isSymbolic(null));
    }

    @Test
    void errorCodesAndTheirStatuses() {
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("M_INVALID_PARAM", 400);
        expected.put("M_POSITION_AHEAD", 400);
        expected.put("M_MISSING_TOKEN", 401);
        expected.put("M_UNKNOWN_TOKEN", 401);
        expected.put("M_UNRECOGNIZED", 404);
        expected.put("M_POSITION_TOO_OLD", 410);
        expected.put("M_TOO_LARGE", 413);
        expected.put("M_NOT_READY", 503);
        expected.put("M_LIMIT_EXCEEDED", 503);
        expected.put("M_UNKNOWN", 500);
        Map<String, Integer> actual = new LinkedHashMap<>();
        for (ErrorCode c : ErrorCode.values()) {
            actual.put(c.name(), c.status());
        }
        assertEquals(expected, actual);
    }

    @Test
    void errorBodies() {
        assertEquals("{\"errcode\":\"M_POSITION_TOO_OLD\",\"error\":\"too old\",\"earliest\":100}",
                ErrorAnswer.json("M_POSITION_TOO_OLD", "too old", 100L));
        assertEquals("{\"errcode\":\"M_INVALID_PARAM\",\"error\":\"say \\\"x\\\"\"}",
                ErrorAnswer.json(ErrorCode.M_INVALID_PARAM, "say \"x\""));
        String message = ErrorAnswer.unknownStream("nope", Set.of("events"));
        assertEquals("unknown stream 'nope'; known streams: [events]", message);
        assertEquals("nope", ErrorAnswer.unknownStreamIn("M_INVALID_PARAM", message));
        assertNull(ErrorAnswer.unknownStreamIn("M_UNKNOWN", message));
        assertNull(ErrorAnswer.unknownStreamIn("M_INVALID_PARAM", "limit must be >= 1, was 0"));
    }

    @Test
    void catalogBody() {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        fields.put("events", List.of("stream_ordering", "event_id"));
        fields.put("caches", List.of("stream_id"));
        assertEquals("{\"catalog\":\"synapse-seed\",\"streams\":[{\"name\":\"events\",\"field_names\":"
                        + "[\"position\",\"stream_ordering\",\"event_id\"]},{\"name\":\"caches\",\"field_names\":"
                        + "[\"position\",\"stream_id\"]}]}",
                new String(CatalogAnswer.encode("synapse-seed", fields), StandardCharsets.UTF_8));
    }

    @Test
    void aPollBodyAssembledFromItsPieces() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        RowEncoder enc = new RowEncoder();
        body.writeBytes(PollAnswer.open());
        body.writeBytes(PollAnswer.streamStart(true, "receipts", 300));
        body.writeBytes(PollAnswer.fieldNames(List.of("stream_id", "user_id")));
        body.writeBytes(PollAnswer.rowsStart());
        PollAnswer.writeRow(body, true, PollAnswer.position(200), enc.encodeTail(new Object[] {7L, "@a:t"}));
        PollAnswer.writeRow(body, false, PollAnswer.position(300), enc.encodeTail(new Object[] {8L, null}));
        body.writeBytes(PollAnswer.streamEnd());
        body.writeBytes(PollAnswer.streamStart(false, "caches", 300));
        body.writeBytes(PollAnswer.fieldNames(List.of("stream_id")));
        body.writeBytes(PollAnswer.rowsStart());
        body.writeBytes(PollAnswer.streamEnd());
        body.writeBytes(PollAnswer.member(false, Endpoint.META_STREAM));
        body.writeBytes(PollAnswer.metaStream(300, List.of("receipts", "caches")));
        body.writeBytes(PollAnswer.close());
        assertEquals("{\"receipts\":{\"position\":300,\"field_names\":[\"position\",\"stream_id\",\"user_id\"],"
                + "\"rows\":[[200,7,\"@a:t\"],[300,8,null]]},"
                + "\"caches\":{\"position\":300,\"field_names\":[\"position\",\"stream_id\"],\"rows\":[]},"
                + "\"streams\":{\"position\":300,\"field_names\":[\"name\",\"position\"],"
                + "\"rows\":[[\"receipts\",300],[\"caches\",300]]}}", body.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aJoinedTailFromFieldsEncodedOneByOne() {
        RowEncoder enc = new RowEncoder();
        byte[][] fields = {enc.encodeValue(17L), null, enc.encodeValue("x")};
        assertEquals(",17,null,\"x\"", new String(RowEncoder.joinTail(fields), StandardCharsets.UTF_8));
        assertTrue(RowEncoder.isNull(enc.encodeValue(null)));
        assertFalse(RowEncoder.isNull(enc.encodeValue("null")));
    }
}

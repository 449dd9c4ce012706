package io.synrep.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowEncoderTest {
    // strict: a trailing token or a non-standard number would fail the parse
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private final RowEncoder encoder = new RowEncoder();

    /** Encodes the values as a row tail and parses {@code [0 + tail + ]}; returns the values after the 0. */
    private ArrayNode row(Object... values) throws IOException {
        byte[] tail = encoder.encodeTail(values);
        byte[] whole = new byte[tail.length + 3];
        whole[0] = '[';
        whole[1] = '0';
        System.arraycopy(tail, 0, whole, 2, tail.length);
        whole[whole.length - 1] = ']';
        JsonNode node = JSON.readTree(whole);
        assertTrue(node.isArray(), () -> new String(whole, StandardCharsets.UTF_8));
        assertEquals(values.length + 1, node.size(), () -> new String(whole, StandardCharsets.UTF_8));
        assertEquals(0, node.get(0).asInt());
        ArrayNode rest = JSON.createArrayNode();
        for (int i = 1; i < node.size(); i++) {
            rest.add(node.get(i));
        }
        return rest;
    }

    private JsonNode one(Object value) throws IOException {
        return row(value).get(0);
    }

    @Test
    void emptyRowHasAnEmptyTail() {
        assertEquals(0, encoder.encodeTail(new Object[0]).length);
    }

    @Test
    void nullIsJsonNull() throws IOException {
        assertTrue(one(null).isNull());
        ArrayNode r = row(null, null);
        assertTrue(r.get(0).isNull());
        assertTrue(r.get(1).isNull());
    }

    @Test
    void plainStrings() throws IOException {
        assertEquals("", one("").textValue());
        assertEquals("$abc:example.org", one("$abc:example.org").textValue());
    }

    @Test
    void quotesAndBackslashesAreEscaped() throws IOException {
        String s = "say \"hi\" \\ back\\slash \\\" end\\";
        assertEquals(s, one(s).textValue());
        assertEquals("\"", one("\"").textValue());
        assertEquals("\\", one("\\").textValue());
    }

    @Test
    void everyControlCharacterIsEscaped() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            sb.append(c);
        }
        sb.append('\u007f');
        String s = sb.toString();
        byte[] tail = encoder.encodeTail(new Object[] {s});
        for (byte b : tail) {
            assertTrue(b >= 0x20, "raw control byte " + b + " in " + Arrays.toString(tail));
        }
        assertEquals(s, one(s).textValue());
        assertEquals("line\nbreak\r\ttab\u0000nul", one("line\nbreak\r\ttab\u0000nul").textValue());
    }

    @Test
    void nonAsciiIsUtf8() throws IOException {
        String s = "Grüße, 東京, Ελληνικά, \u00a0\u2028\u2029";
        assertEquals(s, one(s).textValue());
        byte[] tail = encoder.encodeTail(new Object[] {"é"});
        assertArrayEquals(",\"é\"".getBytes(StandardCharsets.UTF_8), tail);
    }

    @Test
    void emojiSurrogatePairsAreOneCodePoint() throws IOException {
        String s = "party \uD83C\uDF89 and \uD83D\uDE00\uD83D\uDE00 end";
        assertEquals(s, one(s).textValue());
        // a surrogate pair is one 4-byte UTF-8 sequence, not two escaped halves
        byte[] tail = encoder.encodeTail(new Object[] {"\uD83C\uDF89"});
        assertArrayEquals(",\"\uD83C\uDF89\"".getBytes(StandardCharsets.UTF_8), tail);
        assertEquals(1 + 1 + 4 + 1, tail.length);
    }

    @Test
    void loneSurrogatesStillGiveValidJson() throws IOException {
        String[] odd = {
            "\uD83C", "\uDF89", "a\uD83Cb", "a\uDF89b", "\uDF89\uD83C", "end\uD83C", "\uD83C\uD83C\uDF89",
        };
        for (String s : odd) {
            JsonNode n = one(s);
            assertTrue(n.isTextual(), s);
            assertEquals(s, n.textValue(), "lone surrogates survive as \\u escapes");
            // the bytes must be valid UTF-8 (no CESU or replacement characters)
            byte[] tail = encoder.encodeTail(new Object[] {s});
            String decoded = new String(tail, StandardCharsets.UTF_8);
            assertTrue(decoded.indexOf('\uFFFD') < 0, decoded);
        }
        ArrayNode r = row("\uD83C", 7L, "\uDF89");
        assertEquals(7L, r.get(1).longValue());
    }

    @Test
    void integersAreExactNumbers() throws IOException {
        ArrayNode r = row(17L, Long.MAX_VALUE, Long.MIN_VALUE, 42, (short) -3, (byte) 9, 0L);
        assertEquals(17L, r.get(0).longValue());
        assertEquals(Long.MAX_VALUE, r.get(1).longValue());
        assertEquals(Long.MIN_VALUE, r.get(2).longValue());
        assertEquals(42, r.get(3).intValue());
        assertEquals(-3, r.get(4).intValue());
        assertEquals(9, r.get(5).intValue());
        assertEquals(0L, r.get(6).longValue());
        for (JsonNode n : r) {
            assertTrue(n.isIntegralNumber(), n.toString());
        }
    }

    @Test
    void booleans() throws IOException {
        ArrayNode r = row(true, false);
        assertTrue(r.get(0).isBoolean() && r.get(0).booleanValue());
        assertTrue(r.get(1).isBoolean() && !r.get(1).booleanValue());
    }

    @Test
    void finiteDoublesAreNumbers() throws IOException {
        double[] values = {0.0, -0.0, 1.5, -2.25, 1e300, 1e-300, 123456789.125, Double.MIN_VALUE, Double.MAX_VALUE};
        for (double d : values) {
            JsonNode n = one(d);
            assertTrue(n.isNumber(), d + " -> " + n);
            assertEquals(d, n.doubleValue(), 0.0, "value " + d);
        }
        JsonNode f = one(2.5f);
        assertTrue(f.isNumber());
        assertEquals(2.5, f.doubleValue(), 0.0);
    }

    @Test
    void nanAndInfinityAreStrings() throws IOException {
        ArrayNode r = row(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.NaN);
        assertEquals("NaN", r.get(0).textValue());
        assertEquals("Infinity", r.get(1).textValue());
        assertEquals("-Infinity", r.get(2).textValue());
        assertEquals("NaN", r.get(3).textValue());
    }

    @Test
    void bigDecimalsKeepTheirValue() throws IOException {
        String[] texts = {"0", "1.10", "-12345678901234567890.000000000000000001", "1E+3", "1.5E-7", "0E-10"};
        for (String t : texts) {
            BigDecimal d = new BigDecimal(t);
            JsonNode n = one(d);
            assertTrue(n.isNumber(), t + " -> " + n);
            assertEquals(0, d.compareTo(n.decimalValue()), t + " -> " + n);
        }
    }

    @Test
    void bigIntegersAreNumbers() throws IOException {
        java.math.BigInteger big = new java.math.BigInteger("123456789012345678901234567890");
        JsonNode n = one(big);
        assertTrue(n.isNumber(), n.toString());
        assertEquals(big, n.bigIntegerValue());
    }

    @Test
    void rawJsonIsEmbeddedVerbatim() throws IOException {
        String raw = "{\"body\":\"hé \\u00e9\",\"n\":[1,2,{\"x\":null}],\"emoji\":\"\uD83C\uDF89\"}";
        byte[] tail = encoder.encodeTail(new Object[] {new RawJson(raw)});
        assertArrayEquals(("," + raw).getBytes(StandardCharsets.UTF_8), tail);
        assertEquals(JSON.readTree(raw), one(new RawJson(raw)));
        assertEquals(JSON.readTree("[1,\"a\"]"), one(new RawJson("[1,\"a\"]")));
    }

    @Test
    void bytesAreBase64Strings() throws IOException {
        byte[] bytes = {0, 1, 2, (byte) 0xff, (byte) 0x80, 'a', '"'};
        String expected = Base64.getEncoder().encodeToString(bytes);
        assertEquals(expected, one(bytes).textValue());
        assertEquals("", one(new byte[0]).textValue());
        ByteBuffer bb = ByteBuffer.wrap(bytes);
        assertEquals(expected, one(bb).textValue());
        assertEquals(bytes.length, bb.remaining(), "encoding must not consume the buffer");
    }

    @Test
    void listsAreArrays() throws IOException {
        List<Object> nested = new ArrayList<>();
        nested.add(null);
        nested.add("x");
        List<Object> list = List.of(1L, "two \"2\"", true, List.of(), nested, Map.of("k", 3L));
        assertEquals(JSON.readTree("[1,\"two \\\"2\\\"\",true,[],[null,\"x\"],{\"k\":3}]"), one(list));
        assertEquals(JSON.readTree("[]"), one(List.of()));
    }

    @Test
    void mapsAreObjects() throws IOException {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("a", 1L);
        m.put("quote\"key", "v\n");
        m.put(7, null);
        m.put("list", List.of("x", 2.5));
        m.put("raw", new RawJson("{\"z\":true}"));
        assertEquals(JSON.readTree("{\"a\":1,\"quote\\\"key\":\"v\\n\",\"7\":null,\"list\":[\"x\",2.5],\"raw\":{\"z\":true}}"),
                one(m));
        assertEquals(JSON.readTree("{}"), one(Map.of()));
    }

    @Test
    void otherTypesAreTheirStringForm() throws IOException {
        java.util.UUID id = java.util.UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        assertEquals(id.toString(), one(id).textValue());
    }

    @Test
    void aMixedRowDecodesFieldByField() throws IOException {
        Object[] values = {17L, "$ev:hs", "!room:hs", "m.room.member", null, null};
        ArrayNode r = row(values);
        assertEquals(17L, r.get(0).longValue());
        assertEquals("$ev:hs", r.get(1).textValue());
        assertEquals("!room:hs", r.get(2).textValue());
        assertEquals("m.room.member", r.get(3).textValue());
        assertTrue(r.get(4).isNull());
        assertTrue(r.get(5).isNull());
    }

    @Test
    void theBufferIsReusedWithoutLeakingEarlierOutput() throws IOException {
        String big = "y".repeat(5000);
        assertEquals(big, one(big).textValue());
        assertArrayEquals(",1".getBytes(StandardCharsets.US_ASCII), encoder.encodeTail(new Object[] {1L}));
        assertArrayEquals("\"a\"".getBytes(StandardCharsets.US_ASCII), encoder.encodeValue("a"));
    }
}

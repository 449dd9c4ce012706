package io.synrep.http;

import io.synrep.log.ManualClock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.RetentionConfig;
import io.synrep.log.Page;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.capture.TransactionBuffer;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.RowEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The streamed JSON body of a poll response over heap rows and spilled rows. */
class ResponseBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STREAMS = List.of("events", "receipts", "caches");
    private static final Map<String, List<String>> FIELDS = Map.of(
            "events", List.of("stream_ordering", "event_id", "type"),
            "receipts", List.of("stream_id", "user_id"),
            "caches", List.of("stream_id", "keys"));
    private static final int SPILLED_EVENTS = 5_000;
    private static final RetentionConfig ONE_MINUTE =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofMinutes(1));


    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final RowEncoder encoder = new RowEncoder();
    private StreamLog log;
    /** Per stream, the rows a reader from position 0 must get: position first, then the fields. */
    private final Map<String, List<List<Object>>> expected = new LinkedHashMap<>();

    private static Map<String, byte[]> fieldNamesJson() {
        RowEncoder enc = new RowEncoder();
        Map<String, byte[]> out = new LinkedHashMap<>();
        FIELDS.forEach((stream, fields) -> {
            List<String> all = new ArrayList<>();
            all.add("position");
            all.addAll(fields);
            out.put(stream, enc.encodeValue(all));
        });
        return out;
    }

    private void add(TransactionBuffer buffer, long position, String stream, Object... values) {
        buffer.add(stream, encoder.encodeTail(values));
        List<Object> row = new ArrayList<>();
        row.add(position);
        row.addAll(Arrays.asList(values));
        expected.computeIfAbsent(stream, s -> new ArrayList<>()).add(row);
    }

    /**
     * Three transactions: heap rows of receipts and caches at 100; at 200 a spilled transaction of
     * {@value #SPILLED_EVENTS} events and some receipts; heap events and caches at 300.
     */
    @BeforeEach
    void fillLog() {
        log = new StreamLog(STREAMS, ONE_MINUTE, clock);
        log.start(0);

        TransactionBuffer heap = new TransactionBuffer(dir, Long.MAX_VALUE);
        add(heap, 100, "receipts", 1L, "@alice:example.org");
        add(heap, 100, "receipts", 2L, "@bob:example.org");
        add(heap, 100, "caches", 1L, List.of("!room:example.org", "quote \" and backslash \\"));
        Transaction first = heap.finish(100);
        assertTrue(first.spilled().isEmpty());
        log.append(first);

        clock.step(Duration.ofSeconds(30));
        TransactionBuffer spill = new TransactionBuffer(dir, 4096);
        for (int i = 0; i < SPILLED_EVENTS; i++) {
            String type = i % 7 == 0 ? "m.room.mémber" : "m.room.message";
            add(spill, 200, "events", (long) i + 1, "$event" + i + ":example.org", type);
            if (i % 1000 == 0) {
                add(spill, 200, "receipts", 10L + i, "@carol" + i + ":example.org");
            }
        }
        Transaction big = spill.finish(200);
        assertEquals(List.of("events", "receipts"), List.copyOf(big.spilled().keySet()));
        log.append(big);

        clock.step(Duration.ofSeconds(30));
        add(heap, 300, "events", 9001L, "$late:example.org", "m.room.message");
        add(heap, 300, "events", 9002L, "$later:example.org", null);
        add(heap, 300, "caches", 2L, List.of());
        log.append(heap.finish(300));
    }

    private Map<String, Page> pagesFromStart() {
        Map<String, Long> tokens = new LinkedHashMap<>();
        for (String s : STREAMS) {
            tokens.put(s, 0L);
        }
        return log.read(tokens, 100_000).pages();
    }

    private ResponseBody body(byte[] meta) {
        return new ResponseBody(pagesFromStart(), fieldNamesJson(), meta);
    }

    private static byte[] readInPieces(InputStream in, int size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[size + 3];
        while (true) {
            // write at an offset into the buffer to check that read honours it
            int n = in.read(buf, 3, size);
            if (n < 0) {
                break;
            }
            assertTrue(n > 0 && n <= size, "read returned " + n + " for " + size);
            out.write(buf, 3, n);
        }
        assertEquals(-1, in.read(buf, 0, size), "stays at its end");
        return out.toByteArray();
    }

    private long spillFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private void assertResponse(byte[] body) throws IOException {
        JsonNode root = JSON.readTree(body);
        assertEquals(STREAMS.size(), root.size());
        for (String stream : STREAMS) {
            JsonNode page = root.get(stream);
            assertEquals(300, page.get("position").asLong(), stream);
            List<String> names = new ArrayList<>();
            page.get("field_names").forEach(n -> names.add(n.asText()));
            List<String> want = new ArrayList<>();
            want.add("position");
            want.addAll(FIELDS.get(stream));
            assertEquals(want, names, stream);

            JsonNode rows = page.get("rows");
            List<List<Object>> expect = expected.get(stream);
            assertEquals(expect.size(), rows.size(), stream + " row count");
            for (int i = 0; i < expect.size(); i++) {
                // through text, so that numbers compare as the parser reads them
                assertEquals(JSON.readTree(JSON.writeValueAsBytes(expect.get(i))), rows.get(i), stream + " row " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 8191, 8193, 65537})
    void smallAndOddReadsProduceTheSameValidJson(int size) throws IOException {
        byte[] whole;
        try (ResponseBody body = body(null)) {
            whole = body.readAllBytes();
        }
        assertResponse(whole);
        byte[] pieces;
        try (ResponseBody body = body(null)) {
            pieces = readInPieces(body, size);
        }
        assertArrayEquals(whole, pieces);
    }

    @Test
    void byteAtATimeReadsMatchBulkReads() throws IOException {
        byte[] whole;
        try (ResponseBody body = body(null)) {
            whole = body.readAllBytes();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ResponseBody body = body(null)) {
            int b;
            while ((b = body.read()) >= 0) {
                out.write(b);
            }
        }
        assertArrayEquals(whole, out.toByteArray());
    }

    @Test
    void theSpilledRowsAreAllThereInOrder() throws IOException {
        JsonNode events;
        try (ResponseBody body = body(null)) {
            events = JSON.readTree(readInPieces(body, 7)).get("events").get("rows");
        }
        assertEquals(SPILLED_EVENTS + 2, events.size());
        for (int i = 0; i < SPILLED_EVENTS; i++) {
            JsonNode row = events.get(i);
            assertEquals(200, row.get(0).asLong());
            assertEquals(i + 1, row.get(1).asLong());
            assertEquals("$event" + i + ":example.org", row.get(2).asText());
        }
        assertEquals(9001, events.get(SPILLED_EVENTS).get(1).asLong());
        assertTrue(events.get(SPILLED_EVENTS + 1).get(3).isNull());
    }

    @Test
    void theMetaStreamFollowsThePages() throws IOException {
        byte[] meta = "{\"position\":300,\"field_names\":[\"name\",\"position\"],\"rows\":[[\"events\",300]]}"
                .getBytes(StandardCharsets.UTF_8);
        JsonNode root;
        try (ResponseBody body = body(meta)) {
            root = JSON.readTree(readInPieces(body, 7));
        }
        assertEquals(JSON.readTree(meta), root.get(Endpoint.META_STREAM));
        assertEquals(SPILLED_EVENTS + 2, root.get("events").get("rows").size());
    }

    @Test
    void emptyPagesAndNoPagesAreValidJson() throws IOException {
        Map<String, Page> pages = new LinkedHashMap<>();
        pages.put("events", Page.empty("events", 300));
        try (ResponseBody body = new ResponseBody(pages, fieldNamesJson(), null)) {
            JsonNode root = JSON.readTree(readInPieces(body, 7));
            assertEquals(300, root.get("events").get("position").asLong());
            assertEquals(0, root.get("events").get("rows").size());
        }
        try (ResponseBody body = new ResponseBody(Map.of(), fieldNamesJson(), null)) {
            assertEquals("{}", new String(body.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    // --- the spill files outlive neither the log nor the response ---------------------------------------------

    @Test
    void closeAfterEvictionDeletesTheSpillFiles() throws IOException {
        assertEquals(2, spillFiles());
        ResponseBody body = body(null);
        byte[] start = body.readNBytes(20_000); // part-way into the spilled events
        assertEquals(20_000, start.length);

        clock.step(Duration.ofSeconds(45)); // the spilled transaction is now 75 s old, the last one 45 s
        log.expire();
        assertEquals(200, log.horizon());
        assertEquals(2, spillFiles(), "the response still holds them");

        byte[] rest = body.readAllBytes();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(start);
        all.write(rest);
        assertResponse(all.toByteArray());
        body.close();
        assertEquals(0, spillFiles());
        body.close(); // a second close must not release again
    }

    @Test
    void closeBeforeTheEndStillReleases() throws IOException {
        ResponseBody body = body(null);
        body.readNBytes(20_000);
        body.close();
        assertEquals(2, spillFiles(), "the log still retains them");
        clock.step(Duration.ofSeconds(45));
        log.expire();
        assertEquals(0, spillFiles());
    }

    @Test
    void closeBeforeEvictionLeavesTheFilesToTheLog() throws IOException {
        try (ResponseBody body = body(null)) {
            assertResponse(body.readAllBytes());
        }
        assertEquals(2, spillFiles());
        // another reader still gets the whole transaction
        try (ResponseBody body = body(null)) {
            assertResponse(readInPieces(body, 7));
        }
        clock.step(Duration.ofSeconds(45));
        log.expire();
        assertEquals(0, spillFiles());
    }
}

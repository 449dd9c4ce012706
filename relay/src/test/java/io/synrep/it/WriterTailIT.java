package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.cli.Cli;
import io.synrep.Relay;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The {@code writer} command writes concurrently while a reader long-polls; afterwards the rows the reader got
 * are compared with what the database holds: nothing lost, nothing duplicated, positions in commit order.
 * Then the {@code tail} command replays the retained rows and prints them as JSON lines.
 */
class WriterTailIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> APPEND_ONLY = List.of("events", "backfill", "device_lists", "caches", "push_rules",
            "deleted_pushers", "public_rooms");

    @Test
    void concurrentWriterNothingLostOrDuplicated() throws Exception {
        String url = TestPostgres.freshDatabase("wt");
        try (Relay relay = RelayFixture.start(url, "wt")) {
            RelayFixture.awaitStreaming(relay);
            List<String> streams = new ArrayList<>(relay.log().streams());
            Poller reader = new Poller(RelayFixture.base(relay), streams, "-1");
            ByteArrayOutputStream writerOut = new ByteArrayOutputStream();
            CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> Cli.run(new String[] {
                    "writer", "--pg-url", url, "--threads", "4", "--rate", "400", "--duration", "8s"},
                    new PrintStream(writerOut, true), System.err));
            while (!writer.isDone()) {
                assertEquals(200, reader.poll(500, 200));
            }
            assertEquals(0, writer.get(), writerOut.toString());
            String summary = writerOut.toString(StandardCharsets.UTF_8);
            assertTrue(summary.contains("writer done:"), summary);
            // an 8 s run with a 5 s progress interval prints one progress line with its rate before the summary
            assertTrue(java.util.regex.Pattern.compile("(?m)^writer: \\d+ transactions, \\d+ rows, \\d+ errors, "
                    + "[0-9.]+ tx/s$").matcher(summary).find(), summary);

            // a marker committed after the writer's last transaction: once every stream's token has passed its
            // position, each stream has had every row committed before it (one LSN space), and a duplicate or a
            // stray row would be among them
            try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id)"
                        + " VALUES (nextval('device_lists_sequence'), '@marker:wt', 'marker')");
            }
            reader.pollUntil(() -> reader.rows("device_lists").stream()
                    .anyMatch(r -> "marker".equals(r.get(3).asText())), Duration.ofSeconds(60));
            long marker = reader.rows("device_lists").stream().filter(r -> "marker".equals(r.get(3).asText()))
                    .findFirst().orElseThrow().get(0).asLong();
            reader.pollUntil(() -> reader.tokens.values().stream().allMatch(t -> Long.parseLong(t) >= marker),
                    Duration.ofSeconds(60));
            Map<String, List<String>> expected = expectedRows(url);
            for (String stream : APPEND_ONLY) {
                List<String> got = new ArrayList<>();
                for (JsonNode r : reader.rows(stream)) {
                    List<JsonNode> fields = new ArrayList<>();
                    r.forEach(fields::add);
                    got.add(JSON.writeValueAsString(fields.subList(1, fields.size())));
                }
                Collections.sort(got);
                assertEquals(expected.get(stream), got, stream + ": exactly the database's rows, each once");
            }
            assertTrue(expected.get("events").size() > 100, "writer wrote a meaningful amount: " + expected.get("events").size());
            assertEquals(0, relay.capture().duplicates(), "no transaction was skipped as a duplicate");

            // tail prints the same rows as JSON lines
            int total = reader.rows("events").size() + reader.rows("receipts").size();
            ByteArrayOutputStream tailOut = new ByteArrayOutputStream();
            int rc = Cli.run(new String[] {"tail", "--url", RelayFixture.base(relay), "--streams", "events,receipts",
                    "--from", "-1", "--count", Integer.toString(total), "--timeout-ms", "1000"},
                    new PrintStream(tailOut, true, StandardCharsets.UTF_8), System.err);
            assertEquals(0, rc);
            String[] lines = tailOut.toString(StandardCharsets.UTF_8).split("\n");
            assertEquals(total, lines.length);
            Map<String, Integer> perStream = new HashMap<>();
            for (String line : lines) {
                JsonNode j = JSON.readTree(line);
                perStream.merge(j.get("stream").asText(), 1, Integer::sum);
                assertTrue(j.get("position").isNumber());
                assertTrue(j.get("row").isObject());
            }
            assertEquals(reader.rows("events").size(), perStream.get("events"));
            JsonNode first = JSON.readTree(lines[0]);
            assertTrue(first.get("row").has("stream_ordering") || first.get("row").has("receipt_type"), lines[0]);
        }
    }

    static final Map<String, String> QUERIES = Map.of(
            "events", "SELECT e.stream_ordering, e.event_id, e.room_id, e.type, s.state_key, r.redacts FROM events e"
                    + " LEFT JOIN state_events s USING (event_id) LEFT JOIN redactions r USING (event_id) WHERE e.stream_ordering > 0",
            "backfill", "SELECT e.stream_ordering, e.event_id, e.room_id, e.type, s.state_key, r.redacts FROM events e"
                    + " LEFT JOIN state_events s USING (event_id) LEFT JOIN redactions r USING (event_id) WHERE e.stream_ordering < 0",
            "device_lists", "SELECT stream_id, user_id, device_id FROM device_lists_stream",
            "caches", "SELECT stream_id, cache_func, keys, invalidation_ts FROM cache_invalidation_stream",
            "push_rules", "SELECT stream_id, event_stream_ordering, user_id, rule_id, op, priority_class, priority,"
                    + " conditions, actions FROM push_rules_stream",
            "deleted_pushers", "SELECT stream_id, user_id, app_id, pushkey FROM deleted_pushers",
            "public_rooms", "SELECT stream_id, room_id, visibility, appservice_id, network_id FROM public_room_list_stream");

    /** Each append-only stream's rows as the database holds them, encoded like the stream's (sorted JSON arrays). */
    static Map<String, List<String>> expectedRows(String url) throws Exception {
        Map<String, List<String>> out = new HashMap<>();
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            for (Map.Entry<String, String> e : QUERIES.entrySet()) {
                List<String> rows = new ArrayList<>();
                try (ResultSet rs = st.executeQuery(e.getValue())) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        List<Object> row = new ArrayList<>();
                        for (int i = 1; i <= n; i++) {
                            Object v = rs.getObject(i);
                            row.add(v instanceof java.sql.Array a ? a.getArray() : v);
                        }
                        rows.add(JSON.writeValueAsString(row));
                    }
                }
                Collections.sort(rows);
                out.put(e.getKey(), rows);
            }
        }
        return out;
    }
}

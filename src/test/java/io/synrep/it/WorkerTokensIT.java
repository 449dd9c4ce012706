package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Token persistence: two {@code synrep worker} processes, one keeping its tokens in a file ({@code --tokens FILE}),
 * one in a table of the database ({@code --token-table}), are stopped with SIGTERM in the middle of a write burst
 * and restarted (with {@code --from now}, so that only the saved tokens can make them resume) after more writes.
 * The restarted worker handles exactly the rows after its saved tokens: its {@code rows} count equals, stream by
 * stream, what the test's own reader of the relay received after those tokens (fewer would be a gap, more a
 * duplicate); it does not resync, stays in the same epoch, and answers every key as the database does.
 */
class WorkerTokensIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void workersRestartedWithFileOrTableTokensResumeWithoutGapsOrDuplicates() throws Exception {
        String url = TestPostgres.freshDatabase("wtokens");
        String slot = SqlRows.dbName(url);
        Path dir = Files.createTempDirectory("synrep-wtokens");
        Path tokenFile = dir.resolve("file.tokens.json");
        RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), List.of("--pg-url", url, "--slot", slot,
                "--publication", slot, "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("relay").toString(),
                "--heartbeat", "200ms"));
        List<String> common = List.of("--relay", relay.base(), "--pg-url", url, "--listen", "127.0.0.1:0",
                "--poll-timeout", "1s", "--pool-size", "4");
        List<String> fileArgs = concat(common, "--name", "file", "--tokens", tokenFile.toString());
        List<String> tableArgs = concat(common, "--name", "table", "--token-table");
        WorkerTap tap = new WorkerTap(relay.base(), "-1", false).start();
        List<WorkerProcess> first = new ArrayList<>();
        List<WorkerProcess> second = new ArrayList<>();
        WorkerReads reads = new WorkerReads();
        WorkerWrites writes = new WorkerWrites(url, 3);
        try (Connection db = TestPostgres.connect(url)) {
            first.add(WorkerProcess.launch(WorkerProcess.JVM, concat(fileArgs, "--from", "-1")));
            first.add(WorkerProcess.launch(WorkerProcess.JVM, concat(tableArgs, "--from", "-1")));
            for (WorkerProcess w : first) {
                w.awaitServingOrFail();
                w.awaitReading(Duration.ofSeconds(60));
            }

            // a first run reads every row from the start: its count is every row the relay has
            WorkerResyncIT.write(writes, 1_500);
            long quiet = WorkerTap.fence(relay.base(), db);
            tap.awaitPosition(quiet, Duration.ofSeconds(60));
            for (WorkerProcess w : first) {
                JsonNode p = w.awaitPosition(quiet, Duration.ofSeconds(60));
                assertEquals(tap.rows().size(), p.get("rows").asLong(), "rows handled by the first run: " + p);
                assertEquals(List.of(), reads.compareWithDatabase(0, w.base(), db, writes.redactedEvents()));
            }
            String epoch = first.get(0).position().get("epoch").asText();

            // stopped (SIGTERM) in the middle of a burst, which goes on while they are down
            long startOps = writes.ops.get();
            writes.start(startOps + 3_000, () -> false, System.nanoTime());
            while (writes.ops.get() < startOps + 800) {
                writes.assertHealthy();
                Thread.sleep(10);
            }
            long stoppedAt = SqlRows.walLsn(db);
            for (WorkerProcess w : first) {
                WorkerResyncIT.assertCleanExit(w.stop(), w);
            }
            writes.await();
            long end = WorkerTap.fence(relay.base(), db);
            Map<String, Long> fileTokens = tokens(Files.readString(tokenFile), epoch);
            Map<String, Long> tableTokens = tokens(tableRow(db, "table"), epoch);
            long fileSaved = fileTokens.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            long tableSaved = tableTokens.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            assertTrue(fileSaved > quiet && tableSaved > quiet, "they had read into the burst before stopping");
            assertTrue(fileSaved < end && tableSaved < end, "the burst went on after they stopped");

            tap.awaitPosition(end, Duration.ofSeconds(60));
            second.add(WorkerProcess.launch(WorkerProcess.JVM, concat(fileArgs, "--from", "now")));
            second.add(WorkerProcess.launch(WorkerProcess.JVM, concat(tableArgs, "--from", "now")));
            List<Map<String, Long>> saved = List.of(fileTokens, tableTokens);
            long[] expected = new long[2];
            long[] handled = new long[2];
            for (int i = 0; i < 2; i++) {
                WorkerProcess w = second.get(i);
                w.awaitServingOrFail();
                JsonNode p = w.awaitPosition(end, Duration.ofSeconds(60));
                expected[i] = tap.countAfter(saved.get(i)).values().stream().mapToLong(Long::longValue).sum();
                handled[i] = p.get("rows").asLong();
                assertEquals(expected[i], handled[i], "rows after the saved tokens " + saved.get(i) + ": " + p
                        + " (fewer: a gap; more: rows handled twice)");
                assertEquals(0, p.get("resyncs").asLong(), "no resync: " + p);
                assertEquals(epoch, p.get("epoch").asText());
                assertEquals(List.of(), reads.compareWithDatabase(i, w.base(), db, writes.redactedEvents()));
            }

            // and they go on: every later row once
            WorkerResyncIT.write(writes, 500);
            long last = WorkerTap.fence(relay.base(), db);
            tap.awaitPosition(last, Duration.ofSeconds(60));
            for (int i = 0; i < 2; i++) {
                WorkerProcess w = second.get(i);
                JsonNode p = w.awaitPosition(last, Duration.ofSeconds(60));
                long all = tap.countAfter(saved.get(i)).values().stream().mapToLong(Long::longValue).sum();
                assertEquals(all, p.get("rows").asLong(), p.toString());
                assertEquals(0, p.get("resyncs").asLong(), p.toString());
                assertEquals(List.of(), reads.compareWithDatabase(i, w.base(), db, writes.redactedEvents()));
            }
            tap.assertHealthy();

            System.out.printf("FIGURES worker tokens: %d operations, %d stream rows; stopped mid-burst at file"
                            + " token %d / table token %d (WAL at the stop %d, burst ended at %d); restarted, handled"
                            + " %d / %d rows = rows after the saved tokens (%d / %d): no gap, no duplicate, no"
                            + " resync%n", writes.ops.get(),
                    tap.rows().size(), fileSaved, tableSaved, stoppedAt, end, handled[0], handled[1], expected[0],
                    expected[1]);
        } catch (Throwable t) {
            List<WorkerProcess> all = new ArrayList<>(first);
            all.addAll(second);
            WorkerResyncIT.dump(relay, all.toArray(new WorkerProcess[0]));
            throw t;
        } finally {
            tap.close();
            for (WorkerProcess w : first) {
                w.close();
            }
            for (WorkerProcess w : second) {
                w.close();
            }
            relay.close();
            SqlRows.dropSlotQuietly(url, slot);
            FaultsIT.deleteRecursively(dir);
        }
    }

    /** The saved tokens as stream → position; all streams the worker follows, in the given epoch. */
    private static Map<String, Long> tokens(String json, String epoch) throws Exception {
        JsonNode n = JSON.readTree(json);
        assertEquals(epoch, n.path("epoch").asText(), json);
        Map<String, Long> t = new TreeMap<>();
        n.path("tokens").properties().forEach(e -> t.put(e.getKey(), Long.parseLong(e.getValue().asText())));
        assertEquals(new java.util.TreeSet<>(WorkerTap.STREAMS), t.keySet(), json);
        return t;
    }

    private static String tableRow(Connection db, String reader) throws Exception {
        try (PreparedStatement ps = db.prepareStatement("SELECT tokens FROM synrep_reader_tokens WHERE reader = ?")) {
            ps.setString(1, reader);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a token row for " + reader);
                return rs.getString(1);
            }
        }
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }
}

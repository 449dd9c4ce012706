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
 * Each worker process writes every row it handled to a trace file ({@code -Dsynrep.test.trace-rows}, one line per
 * row: stream and the row's JSON, position first). Across the restart the rows are compared by identity, not by
 * count: the first run handled exactly the rows at or below its saved tokens, the restarted one exactly those
 * after them, and both runs together handled, stream by stream, the very sequence of rows the test's own reader of
 * the relay received — each once, in position order, none missing — which holds a row for every transaction the
 * writer committed. The restarted worker does not resync, stays in the same epoch, and answers every key as the
 * database does.
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
        List<Path> traces = List.of(dir.resolve("file.rows"), dir.resolve("table.rows"));
        List<List<String>> jvm = new ArrayList<>();
        for (Path trace : traces) {
            List<String> options = new ArrayList<>(WorkerProcess.JVM);
            options.add("-Dsynrep.test.trace-rows=" + trace);
            jvm.add(options);
        }
        WorkerTap tap = new WorkerTap(relay.base(), "-1", false).start();
        List<WorkerProcess> first = new ArrayList<>();
        List<WorkerProcess> second = new ArrayList<>();
        WorkerReads reads = new WorkerReads();
        WorkerWrites writes = new WorkerWrites(url, 3);
        try (Connection db = TestPostgres.connect(url)) {
            first.add(WorkerProcess.launch(jvm.get(0), concat(fileArgs, "--from", "-1")));
            first.add(WorkerProcess.launch(jvm.get(1), concat(tableArgs, "--from", "-1")));
            for (WorkerProcess w : first) {
                w.awaitServingOrFail();
                w.awaitReading(Duration.ofSeconds(60));
            }

            // a first run reads every row from the start: its count is every row the relay has
            WorkerResyncIT.write(writes, 1_500);
            long quiet = WorkerTap.fence(relay.base(), db);
            tap.awaitPosition(quiet, Duration.ofSeconds(60));
            for (int i = 0; i < 2; i++) {
                WorkerProcess w = first.get(i);
                JsonNode p = w.awaitPosition(quiet, Duration.ofSeconds(60));
                List<Traced> handled = handledUpTo(traced(traces.get(i)), quiet);
                assertEquals(List.of(), differences(upTo(tap.rows(), quiet), handled),
                        "rows handled by the first run up to " + quiet + ", against the relay's: " + p);
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
            List<List<Traced>> firstRun = List.of(traced(traces.get(0)), traced(traces.get(1)));
            writes.await();
            long end = WorkerTap.fence(relay.base(), db);
            Map<String, Long> fileTokens = tokens(Files.readString(tokenFile), epoch);
            Map<String, Long> tableTokens = tokens(tableRow(db, "table"), epoch);
            long fileSaved = fileTokens.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            long tableSaved = tableTokens.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            assertTrue(fileSaved > quiet && tableSaved > quiet, "they had read into the burst before stopping");
            assertTrue(fileSaved < end && tableSaved < end, "the burst went on after they stopped");

            tap.awaitPosition(end, Duration.ofSeconds(60));
            second.add(WorkerProcess.launch(jvm.get(0), concat(fileArgs, "--from", "now")));
            second.add(WorkerProcess.launch(jvm.get(1), concat(tableArgs, "--from", "now")));
            List<Map<String, Long>> saved = List.of(fileTokens, tableTokens);
            // the first run stopped exactly at its saved tokens: it handled every row at or below them, none above
            for (int i = 0; i < 2; i++) {
                assertEquals(List.of(), differences(atOrBelow(tap.rows(), saved.get(i)), firstRun.get(i)),
                        "rows handled by the first run against the relay's rows at or below the saved tokens "
                                + saved.get(i));
            }
            long[] expected = new long[2];
            long[] handled = new long[2];
            for (int i = 0; i < 2; i++) {
                WorkerProcess w = second.get(i);
                w.awaitServingOrFail();
                JsonNode p = w.awaitPosition(end, Duration.ofSeconds(60));
                List<WorkerTap.TapRow> relayAfter = after(upTo(tap.rows(), end), saved.get(i));
                List<Traced> both = traced(traces.get(i));
                List<Traced> secondRun = handledUpTo(both.subList(firstRun.get(i).size(), both.size()), end);
                expected[i] = relayAfter.size();
                handled[i] = secondRun.size();
                assertEquals(List.of(), differences(relayAfter, secondRun), "rows handled by the restarted run"
                        + " against the relay's rows after the saved tokens " + saved.get(i) + ": " + p);
                assertEquals(0, p.get("resyncs").asLong(), "no resync: " + p);
                assertEquals(epoch, p.get("epoch").asText());
                assertEquals(List.of(), reads.compareWithDatabase(i, w.base(), db, writes.redactedEvents()));
            }

            // and they go on: every later row once
            WorkerResyncIT.write(writes, 500);
            long last = WorkerTap.fence(relay.base(), db);
            tap.awaitPosition(last, Duration.ofSeconds(60));
            List<WorkerTap.TapRow> relayed = upTo(tap.rows(), last);
            WorkerTruth truth = new WorkerTruth(List.copyOf(writes.log), relayed, true);
            assertEquals(List.of(), truth.problems, "the relay's rows: one for every committed write, each once");
            for (int i = 0; i < 2; i++) {
                WorkerProcess w = second.get(i);
                JsonNode p = w.awaitPosition(last, Duration.ofSeconds(60));
                List<Traced> both = traced(traces.get(i));
                List<Traced> secondRun = both.subList(firstRun.get(i).size(), both.size());
                assertEquals(List.of(), differences(after(relayed, saved.get(i)), handledUpTo(secondRun, last)),
                        "rows handled by the restarted run against the relay's rows after the saved tokens "
                                + saved.get(i) + ": " + p);
                assertEquals(List.of(), differences(relayed, handledUpTo(both, last)),
                        "rows handled by both runs against every row of the relay up to " + last);
                assertEquals(secondRun.size(), p.get("rows").asLong(), "the restarted run's own count: " + p);
                assertEquals(0, p.get("resyncs").asLong(), p.toString());
                assertEquals(List.of(), reads.compareWithDatabase(i, w.base(), db, writes.redactedEvents()));
            }
            tap.assertHealthy();

            System.out.printf("FIGURES worker tokens: %d operations, %d stream rows; stopped mid-burst at file"
                            + " token %d / table token %d (WAL at the stop %d, burst ended at %d); restarted, handled"
                            + " %d / %d rows = the relay's rows after the saved tokens (%d / %d), row by row: no"
                            + " gap, no duplicate, no resync%n", writes.ops.get(),
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

    /** One line of a worker's row trace: the stream and the row's JSON (position first). */
    record Traced(String stream, long position, String row) {}

    /** The rows a worker process handled, in the order it handled them (both runs, when it was restarted). */
    private static List<Traced> traced(Path trace) throws Exception {
        List<Traced> rows = new ArrayList<>();
        for (String line : Files.readAllLines(trace)) {
            int tab = line.indexOf('\t');
            assertTrue(tab > 0, "a trace line: " + line);
            String row = line.substring(tab + 1);
            rows.add(new Traced(line.substring(0, tab), JSON.readTree(row).path(0).asLong(), row));
        }
        return rows;
    }

    private static Traced traced(WorkerTap.TapRow r) {
        return new Traced(r.stream(), r.position(), r.values().toString());
    }

    private static List<WorkerTap.TapRow> upTo(List<WorkerTap.TapRow> rows, long last) {
        return rows.stream().filter(r -> r.position() <= last).toList();
    }

    private static List<Traced> handledUpTo(List<Traced> rows, long last) {
        return rows.stream().filter(r -> r.position() <= last).toList();
    }

    private static List<WorkerTap.TapRow> atOrBelow(List<WorkerTap.TapRow> rows, Map<String, Long> tokens) {
        return rows.stream().filter(r -> r.position() <= tokens.get(r.stream())).toList();
    }

    private static List<WorkerTap.TapRow> after(List<WorkerTap.TapRow> rows, Map<String, Long> tokens) {
        return rows.stream().filter(r -> r.position() > tokens.get(r.stream())).toList();
    }

    /**
     * How the rows a worker handled differ from the relay's: per stream, the two sequences of row identities (the
     * row's JSON, position first) must be equal — a row missing is a gap, a row twice a duplicate — and the worker's
     * positions never go back across streams (rows are handed over in position order). Empty when they agree.
     */
    static List<String> differences(List<WorkerTap.TapRow> relay, List<Traced> handled) {
        List<String> problems = new ArrayList<>();
        Map<String, List<String>> expected = new TreeMap<>();
        relay.forEach(r -> expected.computeIfAbsent(r.stream(), k -> new ArrayList<>()).add(traced(r).row()));
        Map<String, List<String>> got = new TreeMap<>();
        handled.forEach(r -> got.computeIfAbsent(r.stream(), k -> new ArrayList<>()).add(r.row()));
        java.util.Set<String> streams = new java.util.TreeSet<>(expected.keySet());
        streams.addAll(got.keySet());
        for (String stream : streams) {
            List<String> e = expected.getOrDefault(stream, List.of());
            List<String> g = got.getOrDefault(stream, List.of());
            if (e.equals(g)) {
                continue;
            }
            Map<String, Integer> count = new TreeMap<>();
            e.forEach(row -> count.merge(row, 1, Integer::sum));
            g.forEach(row -> count.merge(row, -1, Integer::sum));
            List<String> missing = new ArrayList<>();
            List<String> extra = new ArrayList<>();
            count.forEach((row, n) -> {
                if (n > 0) {
                    missing.add(row);
                } else if (n < 0) {
                    extra.add(row);
                }
            });
            problems.add(stream + ": relay " + e.size() + " rows, worker " + g.size() + "; missing (gap) "
                    + first(missing) + "; extra or twice (duplicate) " + first(extra)
                    + (missing.isEmpty() && extra.isEmpty() ? "; same rows in another order" : ""));
        }
        long previous = Long.MIN_VALUE;
        for (Traced r : handled) {
            if (r.position() < previous) {
                problems.add("handled out of position order: " + r + " after position " + previous);
                break;
            }
            previous = r.position();
        }
        return problems;
    }

    private static String first(List<String> rows) {
        return rows.size() <= 3 ? rows.toString() : rows.subList(0, 3) + " and " + (rows.size() - 3) + " more";
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

package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reader process killed with SIGKILL between handling a response's rows and saving its tokens, then restarted on
 * the same token file, loses no row. What it may see again is what docs/readers.md allows: only the rows of that one
 * response (above the saved tokens), with the same positions; nothing at or below a saved token is handed over twice.
 * Rows are compared by identity (position and fields), against the database.
 */
class ReaderKillIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void readerKilledBetweenHandlingAndSavingLosesNoRow() throws Exception {
        String url = TestPostgres.freshDatabase("readerkill");
        String slot = SqlRows.dbName(url);
        Path dir = Files.createTempDirectory("synrep-readerkill");
        Path tokens = dir.resolve("tokens.json");
        Path run1 = dir.resolve("run1.rows");
        Path run2 = dir.resolve("run2.rows");
        Process first = null;
        Process second = null;
        try (Relay relay = RelayFixture.start(url, slot); Connection db = TestPostgres.connect(url);
             Statement st = db.createStatement()) {
            RelayFixture.awaitStreaming(relay);
            String base = RelayFixture.base(relay);
            for (int i = 1; i <= 50; i++) {
                write(st, "a" + i);
            }
            first = launch(base, tokens, run1, "freeze-here");
            awaitRow(run1, "a50", first);
            // the response that carries freeze-here is handled, then its token save freezes: SIGKILL there
            for (int i = 1; i <= 20; i++) {
                write(st, "b" + i);
            }
            write(st, "freeze-here");
            awaitOutput(run1, first, CrashingReader.FROZEN);
            first.destroyForcibly();
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            long saved = savedPosition(tokens);

            for (int i = 1; i <= 20; i++) { // written while the reader is down
                write(st, "c" + i);
            }
            second = launch(base, tokens, run2, null);
            write(st, "end");
            awaitRow(run2, "end", second);

            Map<String, Long> handled1 = rows(run1);
            Map<String, Long> handled2 = rows(run2);
            assertTrue(handled1.containsKey(rowKey(db, "freeze-here")), "the first run handled the frozen response");
            // no row lost: together the runs handled every row the database holds, each with one position
            Map<String, Long> all = new TreeMap<>(handled1);
            for (Map.Entry<String, Long> e : handled2.entrySet()) {
                Long before = all.put(e.getKey(), e.getValue());
                assertTrue(before == null || before.equals(e.getValue()),
                        "row " + e.getKey() + " came at " + before + " and again at " + e.getValue());
            }
            assertEquals(database(db), all.keySet(), "the two runs together handled exactly the database's rows");
            // re-delivery only as docs/readers.md allows: the rows the first run handled above its saved tokens (the
            // frozen response), all of them; nothing at or below the saved position
            Map<String, Long> again = new TreeMap<>(handled1);
            again.keySet().retainAll(handled2.keySet());
            Map<String, Long> aboveSaved = new TreeMap<>();
            handled1.forEach((k, p) -> {
                if (p > saved) {
                    aboveSaved.put(k, p);
                }
            });
            assertFalse(aboveSaved.isEmpty(), "no handled row above the saved tokens at the kill: the tokens covered rows"
                    + " before they were handled (saved " + saved + ")");
            assertEquals(aboveSaved, again, "handled twice: exactly the rows of the response whose save was killed");
            for (long p : handled2.values()) {
                assertTrue(p > saved, "the restarted reader got position " + p + " at or below its saved " + saved);
            }
            System.out.printf("FIGURES reader kill: first run %d rows, saved position %d, killed with %d rows handled"
                    + " but unsaved; second run %d rows, %d of them again%n", handled1.size(), saved,
                    aboveSaved.size(), handled2.size(), again.size());
        } finally {
            for (Process p : new Process[] {first, second}) {
                if (p != null) {
                    p.destroyForcibly();
                }
            }
            FaultsIT.deleteRecursively(dir);
        }
    }

    private static void write(Statement st, String deviceId) throws Exception {
        st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (nextval('events_stream_seq'),"
                + " '@kill:t', '" + deviceId + "')");
    }

    private static Process launch(String base, Path tokens, Path handled, String freezeAfter) throws Exception {
        String testClasses = Path.of(CrashingReader.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", testClasses + File.pathSeparator + RelayProcess.jar(),
                CrashingReader.class.getName(), base, tokens.toString(), handled.toString()));
        if (freezeAfter != null) {
            cmd.add(freezeAfter);
        }
        Files.createFile(handled);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(handled.resolveSibling(handled.getFileName() + ".out").toFile()).start();
    }

    private static void awaitRow(Path handled, String deviceId, Process p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.readString(handled).contains("\"" + deviceId + "\"")) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "row " + deviceId + " not handled: "
                    + output(handled));
            Thread.sleep(20);
        }
    }

    private static void awaitOutput(Path handled, Process p, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!output(handled).contains(text)) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "no '" + text + "': " + output(handled));
            Thread.sleep(20);
        }
    }

    private static String output(Path handled) throws Exception {
        Path out = handled.resolveSibling(handled.getFileName() + ".out");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    /** Handled rows as identity (stream_id|user_id|device_id) → position; a row twice within one run fails. */
    private static Map<String, Long> rows(Path handled) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        long last = Long.MIN_VALUE;
        for (String line : Files.readAllLines(handled)) {
            int tab = line.indexOf('\t');
            long position = Long.parseLong(line.substring(0, tab));
            JsonNode v = JSON.readTree(line.substring(tab + 1));
            String key = v.path(1).asLong() + "|" + v.path(2).asText() + "|" + v.path(3).asText();
            assertEquals(null, out.put(key, position), "handled twice in one run: " + line);
            assertTrue(position >= last, "out of position order: " + line);
            last = position;
        }
        return out;
    }

    private static String rowKey(Connection db, String deviceId) throws Exception {
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT stream_id, user_id, device_id FROM device_lists_stream WHERE device_id = '" + deviceId + "'")) {
            assertTrue(rs.next());
            return rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3);
        }
    }

    private static java.util.Set<String> database(Connection db) throws Exception {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        try (Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT stream_id, user_id, device_id FROM device_lists_stream")) {
            while (rs.next()) {
                keys.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        return keys;
    }

    private static long savedPosition(Path tokens) throws Exception {
        JsonNode n = JSON.readTree(Files.readString(tokens));
        return Long.parseLong(n.path("tokens").path("device_lists").asText());
    }
}

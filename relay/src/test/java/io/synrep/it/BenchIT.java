package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar synrep.jar bench} at a tiny scale, as a user runs it: it must finish, print one table with a line
 * for every scenario, and the figures must be real measurements (positive rates, ordered percentiles, a bounded
 * encoding count). Speed targets are not asserted: they depend on the machine.
 */
class BenchIT {
    private static final Pattern RATE = Pattern.compile("^[\\d,]+( \\([\\d,]+-[\\d,]+\\))?$");
    private static final Pattern LATENCY = Pattern.compile("p50 ([\\d.]+) / p99 ([\\d.]+) \\(max (\\d+)\\); [\\d,]+ responses, relay CPU "
            + "\\d+%");
    private static final Pattern IDLE = Pattern.compile("(-?[\\d.]+) KB/request \\(heap [\\d.]+ MB -> [\\d.]+ MB\\), "
            + "threads (\\d+) -> (\\d+)");
    private static final Pattern FAN_OUT = Pattern.compile("^([\\d.]+); relay CPU \\d+ us/response$");

    @Test
    void aSmallRunPrintsATableOfRealFigures() throws Exception {
        Path out = Files.createTempFile("synrep-bench", ".log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RelayProcess.jar(), "bench", "--scale", "0.002").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("bench did not finish in 10 minutes: " + Files.readString(out));
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        System.out.println(text);
        assertEquals(0, p.exitValue(), text);
        assertFalse(text.contains("\tat "), "no stack trace");

        List<String[]> rows = tableRows(text);
        assertTrue(rows.stream().anyMatch(r -> r[0].equals("scenario")), "the table has its header: " + text);
        int capture = 0, latency = 0, idle = 0, catchUp = 0, fanOut = 0;
        for (String[] r : rows) {
            String scenario = r[0];
            String synrep = r[1];
            if (scenario.startsWith("1. capture")) {
                capture++;
                assertTrue(RATE.matcher(synrep).matches(), synrep);
                assertTrue(rate(synrep) > 0, synrep);
                boolean baseline = r[2].equals("pg_recvlogical not found") || RATE.matcher(r[2]).matches();
                assertTrue(baseline, "a pg_recvlogical figure or the reason there is none: " + r[2]);
            } else if (scenario.startsWith("2. latency")) {
                latency++;
                Matcher m = LATENCY.matcher(synrep);
                assertTrue(m.matches(), synrep);
                double p50 = Double.parseDouble(m.group(1));
                double p99 = Double.parseDouble(m.group(2));
                assertTrue(p50 >= 0 && p50 <= p99 && p99 <= Double.parseDouble(m.group(3)) + 1, synrep);
                assertTrue(r[2].matches("NOTIFY, \\d+ listeners?: p50 [\\d.]+ / p99 [\\d.]+"),
                        "the LISTEN/NOTIFY peer: " + r[2]);
            } else if (scenario.startsWith("3. idle")) {
                idle++;
                Matcher m = IDLE.matcher(synrep);
                assertTrue(m.find(), synrep);
                assertTrue(Integer.parseInt(m.group(2)) > 0 && Integer.parseInt(m.group(3)) > 0, synrep);
            } else if (scenario.startsWith("4. catch-up")) {
                catchUp++;
                assertTrue(rate(synrep) > 0, synrep);
                assertTrue(r[2].endsWith("(SELECT over JDBC)"), r[2]);
            } else if (scenario.startsWith("5. fan-out")) {
                fanOut++;
                Matcher m = FAN_OUT.matcher(synrep);
                assertTrue(m.matches(), synrep);
                int readers = Integer.parseInt(scenario.replaceAll("^5\\. fan-out, ([\\d,]+) readers.*$", "$1")
                        .replace(",", ""));
                double encodings = Double.parseDouble(m.group(1));
                assertTrue(encodings >= 1 && encodings <= readers, "between 1 and N encodings per commit: " + synrep);
            }
            if (!scenario.equals("scenario")) {
                assertTrue(List.of("pass", "MISS", "n/a").contains(r[5]), r[5]);
            }
        }
        assertEquals(4, capture, "warm and fresh figures for both shapes");
        assertEquals(3, latency, "1, N and M readers");
        assertEquals(1, idle);
        assertEquals(1, catchUp);
        assertEquals(3, fanOut, "1, N and M readers at one position");
        assertTrue(text.contains("relay warmed"), "the output says how the relay was warmed");
        assertTrue(text.contains("fresh JVM") && text.contains("warm JVM"), "the output says which JVM was warm");
    }

    private static double rate(String cell) {
        return Double.parseDouble(cell.split(" ")[0].replace(",", ""));
    }

    /** Cells of each Markdown table line (the rule line excluded). */
    private static List<String[]> tableRows(String text) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("|") || line.startsWith("|--")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cells[i].trim();
            }
            rows.add(cells);
        }
        return rows;
    }
}

package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.capture.Capture;
import io.synrep.capture.FileStateStore;
import io.synrep.capture.RelayState;
import io.synrep.capture.StateKeeper;
import io.synrep.config.CaptureConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.log.StreamLog;
import io.synrep.streams.Catalog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The defaults {@code serve} runs with, taken through the path {@code serve} uses (command line and environment into
 * {@link ServeCommand.Options}, into the components' settings), and the texts that report them: help, {@code synrep
 * config} and error messages.
 */
class ServeDefaultsTest {
    private static final long MIB = 1024 * 1024;
    private static final long GIB = 1024 * MIB;

    @TempDir
    Path dir;

    private static ServeCommand.Options options(long maxHeap, String... argv) {
        return ServeCommand.Options.parse(List.of(argv), Map.of(), maxHeap);
    }

    private static ServeCommand.Options options(String... argv) {
        return ServeCommand.Options.parse(List.of(argv), Map.of());
    }

    /** {@code synrep serve --help} in a JVM whose maximum heap is {@code maxHeap}. */
    private static String help(long maxHeap) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"serve", "--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()), Map.of(), maxHeap);
        assertEquals(0, code);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What Debezium's engine is given for {@code key} by a relay started with these options. */
    private String engineSetting(ServeCommand.Options o, String key) {
        CaptureConfig capture = o.capture("jdbc:postgresql://127.0.0.1:5432/postgres", dir);
        Catalog catalog = Catalog.builtin();
        StreamLog log = new StreamLog(catalog.streamNames(), RetentionConfig.defaults(), InstantSource.system());
        StateKeeper keeper = new StateKeeper(new FileStateStore(dir),
                new RelayState("1", capture.slot(), "e", 0, Map.of()), () -> 0);
        try {
            Capture c = new Capture(capture, catalog, log, keeper, () -> { }, 64 * 1024);
            return c.engineSetting(key);
        } finally {
            keeper.close();
        }
    }

    @Test
    void theDefaultHeartbeatReachesDebeziumAsOneSecond() {
        assertEquals("1000", engineSetting(options(), "heartbeat.interval.ms"),
                "serve without --heartbeat gives Debezium heartbeat.interval.ms");
        // the same path carries a configured value, so the assertion above is about the default, not a constant
        assertEquals("250", engineSetting(options("--heartbeat", "250ms"), "heartbeat.interval.ms"));
        assertEquals(null, engineSetting(options(), "database.password"), "never handed out");
    }

    @Test
    void theRetentionBytesDefaultIsTheSmallerOf256MiBAndAQuarterOfTheHeap() {
        assertEquals(128 * MIB, options(512 * MIB).retention().maxBytes(), "512 MiB heap: a quarter of it");
        assertEquals(64 * MIB, options(256 * MIB).retention().maxBytes(), "256 MiB heap: a quarter of it");
        assertEquals(256 * MIB, options(GIB).retention().maxBytes(), "1 GiB heap: both are 256 MiB");
        assertEquals(256 * MIB, options(8 * GIB).retention().maxBytes(), "8 GiB heap: 256 MiB, not 2 GiB");
        assertEquals(256 * MIB, options(Long.MAX_VALUE).retention().maxBytes(), "no heap limit: 256 MiB");
        // the option wins over the heap rule
        assertEquals(300 * MIB, options(512 * MIB, "--retention-bytes", Long.toString(300 * MIB)).retention().maxBytes());
        // and a JVM's own default is the rule applied to its own heap
        assertEquals(RetentionConfig.defaultMaxBytes(Runtime.getRuntime().maxMemory()), options().retention().maxBytes());
    }

    /** The {@code --retention-bytes} entry of a help text, on one line. */
    private static String retentionBytesEntry(String help) {
        int from = help.indexOf("--retention-bytes");
        assertTrue(from >= 0, help);
        java.util.regex.Matcher next = java.util.regex.Pattern.compile("\n +--").matcher(help);
        int to = next.find(from) ? next.start() : help.length();
        return help.substring(from, to).replaceAll("\\s+", " ");
    }

    @Test
    void helpAndConfigShowTheRetentionBytesDefaultServeResolves() {
        String small = retentionBytesEntry(help(512 * MIB));
        assertTrue(small.contains("(default " + 128 * MIB + ")"), small);
        assertFalse(small.contains(Long.toString(256 * MIB)), small);
        String large = retentionBytesEntry(help(8 * GIB));
        assertTrue(large.contains("(default " + 256 * MIB + ")"), large);
        assertTrue(large.contains("a quarter of the maximum heap"), "the help states the rule: " + large);

        // this JVM: serve --help and synrep config name what serve would run with
        long resolved = options().retention().maxBytes();
        CliTest.Run help = CliTest.run("serve", "--help");
        assertEquals(0, help.code());
        assertTrue(retentionBytesEntry(help.out()).contains("(default " + resolved + ")"), help.out());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"config", "serve"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        String line = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("retention-bytes "))
                .findFirst().orElseThrow();
        assertTrue(line.matches("retention-bytes = " + resolved + " +# default"), line);
    }

    @Test
    void retentionErrorsNameTheKeyAsItWasGiven() {
        CliTest.Run flag = CliTest.run("serve", "--retention-age", "0s");
        assertEquals(2, flag.code(), flag.err());
        assertTrue(flag.err().contains("--retention-age must be a positive duration, was 0s"), flag.err());
        assertFalse(flag.err().contains("retention.max"), flag.err());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"serve"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of("SYNREP_RETENTION_AGE", "0m"));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, e);
        assertTrue(e.contains("SYNREP_RETENTION_AGE must be a positive duration, was 0m"), e);
        assertFalse(e.contains("\tat "), e);

        // the record's own checks (for callers that build it directly) name the configuration keys too
        for (Object[] bad : new Object[][] {
                {new long[] {0, 1}, Duration.ofHours(1), "retention-rows must be >= 1"},
                {new long[] {1, 0}, Duration.ofHours(1), "retention-bytes must be >= 1"},
                {new long[] {1, 1}, Duration.ZERO, "retention-age must be a positive duration"}}) {
            long[] n = (long[]) bad[0];
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> new RetentionConfig(n[0], n[1], (Duration) bad[1]));
            assertTrue(x.getMessage().startsWith((String) bad[2]), x.getMessage());
        }
    }
}

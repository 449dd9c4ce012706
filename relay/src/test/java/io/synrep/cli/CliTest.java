package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Command-line behaviour without a database: help, usage errors (exit 2), runtime failures (exit 1), no traces. */
class CliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve", "writer", "tail", "demo", "bench"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: synrep " + command), r.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bogus|unknown command 'bogus'",
        "serve --bogus|unknown option --bogus",
        "serve --listen nope|--listen must be HOST:PORT",
        "serve --listen 127.0.0.1:99999|listen port must be 0..65535",
        "serve --retention-age soon|--retention-age must be a duration",
        "serve --retention-rows 0|--retention-rows must be between 1",
        "serve --ready-max-lag -1|--ready-max-lag must be between 0",
        "serve --ready-max-lag lots|--ready-max-lag must be an integer",
        "serve --slot Bad-Name --pg-url jdbc:postgresql://127.0.0.1:1/x|slot name 'Bad-Name'",
        "serve --pg-url mysql://x|pg-url must look like jdbc:postgresql://",
        "serve --slot|--slot needs a value",
        "tail|--url is required",
        "tail --url ftp:/x|--url must be http://HOST:PORT",
        "writer|--pg-url is required",
        "writer --pg-url jdbc:postgresql://h/db --threads 0|--threads must be between 1",
        "bench --scale 0|--scale must be > 0 and <= 10",
        "bench --scale lots|--scale must be a number",
        "bench --only 1,7|--only takes scenario numbers 1-5",
        "bench --only|--only needs a value",
    })
    void usageErrorsExitTwoWithAMessage(String line, String expected) {
        Run r = run(line.split(" "));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @org.junit.jupiter.api.Test
    void noArgumentsPrintsHelpAndExitsTwo() {
        Run r = run();
        assertEquals(2, r.code());
        assertTrue(r.out().contains("Commands:"));
    }

    @org.junit.jupiter.api.Test
    void unreachableDatabaseExitsOneNamingTheFix() {
        Run r = run("serve", "--pg-url", "jdbc:postgresql://127.0.0.1:1/nodb?connectTimeout=2", "--listen", "127.0.0.1:0");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("is PostgreSQL running and reachable"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @org.junit.jupiter.api.Test
    void portInUseExitsOneNamingTheFix() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Run r = run("serve", "--pg-url", "jdbc:postgresql://127.0.0.1:1/nodb", "--listen",
                    "127.0.0.1:" + taken.getLocalPort());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), r.err());
            assertTrue(r.err().contains("choose another with --listen"), r.err());
        }
    }

    @org.junit.jupiter.api.Test
    void multiLineFailuresArePrintedOnOneLine() {
        assertEquals("ERROR: must be owner Detail: x Hint: y",
                Cli.oneLine("ERROR: must be owner\n  Detail: x\r\n  Hint: y\n"));
    }

    @org.junit.jupiter.api.Test
    void passwordsInTheUrlAreMaskedInMessages() {
        Run r = run("serve", "--pg-url", "jdbc:postgresql://127.0.0.1:1/nodb?user=u&password=sekrit&connectTimeout=2",
                "--listen", "127.0.0.1:0");
        assertEquals(1, r.code());
        assertFalse(r.err().contains("sekrit"), r.err());
    }
}

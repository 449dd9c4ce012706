package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A secret must be 16 to 4096 visible ASCII characters, wherever it comes from (command line, environment, file)
 * and whichever secret it is (the relay's, the worker's API secret, the secret the worker sends to the relay):
 * through the command line's entry point, {@code synrep config} accepts the bounds (exit 0) and refuses one
 * character beyond them with a message naming the source and the bound (exit 2, no stack trace, the secret never
 * echoed). {@code config} validates as the command does at start and connects to nothing.
 */
class SecretBoundsCliTest {
    private static final String WORKER = "worker --relay http://127.0.0.1:1 --pg-url jdbc:postgresql://h/db";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1} via {2}, {3} characters")
    @CsvSource(delimiter = '|', value = {
        "serve|auth-secret|argument|15|at least 16",
        "serve|auth-secret|argument|16|",
        "serve|auth-secret|argument|4096|",
        "serve|auth-secret|argument|4097|at most 4096",
        "serve|auth-secret|env|15|at least 16",
        "serve|auth-secret|env|4096|",
        "serve|auth-secret|env|4097|at most 4096",
        "serve|auth-secret|file|16|",
        "serve|auth-secret|file|4096|",
        "serve|auth-secret|file|4097|at most 4096",
        "worker|auth-secret|argument|4096|",
        "worker|auth-secret|argument|4097|at most 4096",
        "worker|relay-secret|argument|15|at least 16",
        "worker|relay-secret|argument|4096|",
        "worker|relay-secret|env|4097|at most 4096",
        "worker|relay-secret|file|4097|at most 4096",
    })
    void secretsOutsideSixteenTo4096CharactersAreRefusedWithAClearMessage(String command, String key, String via,
                                                                           int length, String refusal)
            throws Exception {
        String secret = secret(length);
        List<String> args = new ArrayList<>(List.of("config"));
        args.addAll(List.of((command.equals("serve") ? "serve" : WORKER).split(" ")));
        Map<String, String> env = Map.of();
        switch (via) {
            case "argument" -> args.addAll(List.of("--" + key, secret));
            case "env" -> env = Map.of("SYNREP_" + key.toUpperCase().replace('-', '_'), secret);
            default -> args.addAll(List.of("--" + key + "-file",
                    Files.writeString(dir.resolve("secret"), secret + "\n").toString()));
        }
        Run r = run(args, env);
        if (refusal == null) {
            assertEquals(0, r.code, r.err);
            assertTrue(r.out.contains(key + " = ****") || via.equals("file"), r.out);
        } else {
            assertEquals(2, r.code, r.err);
            assertTrue(r.err.startsWith("synrep " + command + ": "), r.err);
            assertTrue(r.err.contains(refusal + " characters long"), r.err);
            assertTrue(r.err.contains(via.equals("env") ? "SYNREP_" : "--" + key), "names the source: " + r.err);
            assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
            assertEquals(1, r.err.strip().lines().count(), "one line: " + r.err);
        }
        assertFalse(r.out.contains(secret) || r.err.contains(secret), "the secret is never printed");
    }

    @ParameterizedTest
    @CsvSource({"space,abcdefgh ijklmnopq", "tab,abcdefgh\tijklmnopq", "non-ASCII,abcdefghijklmnop\u00e9"})
    void aSecretThatIsNotVisibleAsciiIsRefused(String what, String secret) {
        Run r = run(List.of("config", "serve", "--auth-secret", secret), Map.of());
        assertEquals(2, r.code, what + ": " + r.err);
        assertTrue(r.err.contains("visible ASCII"), r.err);
        assertFalse(r.err.contains(secret), r.err);
    }

    /** {@code length} visible ASCII characters, not all alike, so a truncated echo would still be recognisable. */
    private static String secret(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append((char) ('!' + (i * 7) % 94));
        }
        return sb.toString();
    }

    private record Run(int code, String out, String err) {}

    private static Run run(List<String> args, Map<String, String> env) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}

package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code synrep worker} without a relay or database: help, defaults, usage errors (2), startup failures (1). */
class WorkerCommandTest {
    @Test
    void helpDocumentsOptionsAndTheReadApi() {
        CliTest.Run r = CliTest.run("worker", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: synrep worker"), r.out());
        for (String s : List.of("--relay", "--pg-url", "--listen", "--name", "--tokens", "--token-table", "--from",
                "--cache-size", "/position", "/rooms/{room}/latest_events", "/users/{user}/receipts",
                "/users/{user}/account_data", "/users/{user}/changed_since/{P}", "Synrep worker serving")) {
            assertTrue(r.out().contains(s), "help mentions " + s);
        }
        assertTrue(CliTest.run("--help").out().contains("worker"), "listed among the commands");
    }

    @Test
    void defaults() {
        Worker.Settings s = WorkerCommand.parse(
                List.of("--relay", "http://127.0.0.1:9099/", "--pg-url", "jdbc:postgresql://h/db"), Map.of());
        assertEquals("http://127.0.0.1:9099", s.relay().toString());
        assertEquals("127.0.0.1", s.host());
        assertEquals(9100, s.port());
        assertEquals("worker", s.name());
        assertEquals("now", s.from());
        assertEquals(100_000, s.cacheSize());
        assertEquals(Duration.ofSeconds(5), s.pollTimeout());
        assertTrue(s.tokens().getClass().getSimpleName().startsWith("File"), s.tokens().toString());
    }

    @Test
    void tokenStoreChoices() {
        List<String> base = List.of("--relay", "http://h:1", "--pg-url", "jdbc:postgresql://h/db", "--name", "w2");
        assertTrue(settings(base, "--tokens", "memory").tokens().getClass().getSimpleName().startsWith("Memory"));
        assertTrue(settings(base, "--token-table").tokens().getClass().getSimpleName().startsWith("Table"));
        assertEquals("0", settings(base, "--from", "0/0").from());
        assertEquals("-1", settings(base, "--from", "-1").from());
    }

    private static Worker.Settings settings(List<String> base, String... more) {
        List<String> all = new java.util.ArrayList<>(base);
        all.addAll(List.of(more));
        return WorkerCommand.parse(all, Map.of());
    }

    @Test
    void secretsComeFromFilesAndAreNeverShown(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path relay = java.nio.file.Files.writeString(dir.resolve("relay"), "relay-side-secret-0123\n");
        java.nio.file.Path api = java.nio.file.Files.writeString(dir.resolve("api"), "  api-side-secret-01234 \n");
        Worker.Settings s = settings(List.of("--relay", "https://h:1", "--pg-url", "jdbc:postgresql://h/db"),
                "--relay-secret-file", relay.toString(), "--auth-secret-file", api.toString());
        assertEquals("relay-side-secret-0123", s.relaySecret());
        assertTrue(s.apiAuth().matches("api-side-secret-01234"));
        assertFalse(s.toString().contains("relay-side-secret") || s.toString().contains("api-side-secret"),
                s.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "worker|--relay is required",
        "worker --relay ftp://x --pg-url jdbc:postgresql://h/db|--relay must be http://HOST:PORT",
        "worker --relay http://h:1|--pg-url is required",
        "worker --relay http://h:1 --pg-url mysql://h/db|--pg-url must look like jdbc:postgresql://",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --listen nope|--listen must be HOST:PORT",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --listen 127.0.0.1:99999|port must be 0..65535",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --name a/b|--name must be",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --tokens f --token-table|not both",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --from soon|--from must be now, -1",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --cache-size 0|--cache-size must be between 1",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --poll-timeout 0s|--poll-timeout must be",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --token-table=yes|--token-table takes no value",
        "worker --bogus|unknown option --bogus",
        "worker --relay https://h:1 --pg-url jdbc:postgresql://h/db --relay-ca /nonexistent.pem|--relay-ca: cannot read",
        "worker --relay https://h:1 --pg-url jdbc:postgresql://h/db --relay-secret-file /nonexistent|cannot read",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --auth-secret-file /nonexistent|cannot read",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --tls-cert c.pem|give both --tls-cert and --tls-key",
        "worker --relay http://h:1 --pg-url jdbc:postgresql://h/db --tls-cert c.pem --tls-key k.pem|cannot read TLS",
    })
    void usageErrorsExitTwoWithAMessage(String line, String expected) {
        CliTest.Run r = CliTest.run(line.split(" "));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void unreachableDatabaseExitsOneNamingTheFix() {
        CliTest.Run r = CliTest.run("worker", "--relay", "http://127.0.0.1:1", "--pg-url",
                "jdbc:postgresql://127.0.0.1:1/nodb?connectTimeout=2", "--listen", "127.0.0.1:0", "--tokens", "memory");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("synrep worker: "), r.err());
        assertTrue(r.err().contains("is PostgreSQL running and reachable"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    }
}

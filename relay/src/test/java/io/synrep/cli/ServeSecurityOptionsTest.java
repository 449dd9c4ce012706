package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.HttpConfig;
import io.synrep.http.TlsFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve}'s security and limit options: parsed into the listener's settings, bad ones refused, secrets unseen. */
class ServeSecurityOptionsTest {
    private static final String SECRET = "serve-secret-0123456789abcdef";

    @TempDir
    Path dir;

    private Path secretFile(String content) throws Exception {
        Path f = dir.resolve("secret");
        Files.writeString(f, content);
        return f;
    }

    private static ServeCommand.Options options(String... args) {
        return ServeCommand.Options.parse(List.of(args), Map.of());
    }

    @Test
    void optionsReachTheListenerSettings() throws Exception {
        TlsFiles tls = TlsFiles.create(dir, "RSA");
        ServeCommand.Options o = options("--auth-secret-file", secretFile(SECRET + "\n").toString(),
                "--tls-cert", tls.cert().toString(), "--tls-key", tls.key().toString(), "--max-limit", "500",
                "--max-query-length", "1024", "--idle-timeout", "5s", "--max-timeout-ms", "20000",
                "--max-waiting", "300");
        HttpConfig h = o.http();
        assertNotNull(h.auth());
        assertTrue(h.auth().matches(SECRET), "the file's line end is not part of the secret");
        assertEquals(tls.cert(), h.tlsCert());
        assertEquals(500, h.maxLimit());
        assertEquals(1024, h.maxQueryLength());
        assertEquals(5_000, h.idleTimeout());
        assertEquals(20_000, h.maxTimeout());
        assertEquals(300, h.maxWaiting());
        assertFalse(h.toString().contains(SECRET), h.toString());

        HttpConfig plain = options().http();
        assertEquals(HttpConfig.defaults().withListen("127.0.0.1", 9099), plain.withAuth(null));
        if (System.getenv(SecretFile.AUTH_ENV) == null) {
            assertNull(plain.auth());
        }
    }

    @Test
    void badSettingsAreUsageErrorsThatNeverQuoteTheSecret() throws Exception {
        TlsFiles tls = TlsFiles.create(dir, "RSA");
        String tooShort = "short-secret";
        Path shortFile = secretFile(tooShort);
        List<List<String>> lines = List.of(
                List.of("--auth-secret-file", dir.resolve("missing").toString(), "|cannot read"),
                List.of("--auth-secret-file", shortFile.toString(), "|at least 16 characters"),
                List.of("--tls-cert", tls.cert().toString(), "|give both --tls-cert and --tls-key"),
                List.of("--tls-cert", tls.cert().toString(), "--tls-key", tls.cert().toString(),
                        "|unencrypted PKCS#8"),
                List.of("--max-query-length", "10", "|--max-query-length must be between"),
                List.of("--idle-timeout", "10ms", "|--idle-timeout must be between"),
                List.of("--max-limit", "0", "|--max-limit must be between"));
        for (List<String> line : lines) {
            String expected = line.get(line.size() - 1).substring(1);
            List<String> argv = new java.util.ArrayList<>(List.of("serve"));
            argv.addAll(line.subList(0, line.size() - 1));
            CliTest.Run r = CliTest.run(argv.toArray(new String[0]));
            assertEquals(2, r.code(), line + ": " + r.err());
            assertTrue(r.err().contains(expected), line + ": " + r.err());
            assertFalse(r.err().contains(tooShort), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
    }

    @Test
    void theLoggedConfigurationMasksTheSecret() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
        CliTest.Run r;
        try {
            r = CliTest.run("serve", "--pg-url", "jdbc:postgresql://127.0.0.1:1/nodb?connectTimeout=2", "--listen",
                    "127.0.0.1:0", "--auth-secret-file", secretFile(SECRET).toString());
        } finally {
            System.setErr(original);
        }
        String log = logged.toString(StandardCharsets.UTF_8);
        assertEquals(1, r.code(), r.err());
        assertTrue(log.contains("effective configuration") && log.contains("auth=***"), log);
        assertFalse(log.contains(SECRET) || r.err().contains(SECRET) || r.out().contains(SECRET), log);
    }
}

package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.ServeSettings;
import io.synrep.config.Setting;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Precedence, sources, masking and validation through the real command line ({@link Cli#run}). */
class ConfigCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** key -> [value, source] from {@code synrep config}'s output. */
    private static Map<String, String[]> effective(String out) {
        Map<String, String[]> m = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int eq = line.indexOf(" = ");
            int hash = line.lastIndexOf(" # ");
            m.put(line.substring(0, eq), new String[] {line.substring(eq + 3, hash).strip(), line.substring(hash + 3)});
        }
        return m;
    }

    private Path file(String... lines) throws IOException {
        Path f = dir.resolve("synrep.conf");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void commandLineBeatsEnvironmentBeatsFileBeatsDefault() throws IOException {
        Path f = file("listen = 0.0.0.0:1111", "slot = from_file", "retention-rows = 7", "heartbeat = 3s");
        Map<String, String> env = Map.of("SYNREP_SLOT", "from_env", "SYNREP_RETENTION_ROWS", "8",
                "SYNREP_CONFIG", f.toString());
        Run r = run(env, "config", "--retention-rows", "9");
        assertEquals(0, r.code(), r.err());
        Map<String, String[]> e = effective(r.out());
        assertEquals("9", e.get("retention-rows")[0]);
        assertEquals("command line", e.get("retention-rows")[1]);
        assertEquals("from_env", e.get("slot")[0]);
        assertEquals("env SYNREP_SLOT", e.get("slot")[1]);
        assertEquals("0.0.0.0:1111", e.get("listen")[0]);
        assertEquals("file " + f + ":1", e.get("listen")[1]);
        assertEquals("3s", e.get("heartbeat")[0]);
        assertEquals("synrep", e.get("publication")[0]);
        assertEquals("default", e.get("publication")[1]);
        assertEquals(f.toString(), e.get("config")[0]);
        assertEquals("env", e.get("config")[1]);
        assertEquals(ServeSettings.KEYS.size(), e.size(), "every key is printed");
    }

    @Test
    void theOutputIsAConfigurationFileThatGivesTheSameConfiguration() throws IOException {
        Run first = run(Map.of("SYNREP_RETENTION_AGE", "2h"), "config", "--slot", "s1", "--max-waiting", "5");
        assertEquals(0, first.code(), first.err());
        StringBuilder asFile = new StringBuilder();
        for (Map.Entry<String, String[]> e : effective(first.out()).entrySet()) {
            if (!e.getValue()[0].isEmpty() && !e.getKey().equals("config")) {
                asFile.append(e.getKey()).append(" = ").append(e.getValue()[0]).append('\n');
            }
        }
        Path f = dir.resolve("again.conf");
        Files.writeString(f, asFile);
        Run second = run(Map.of(), "config", "--config", f.toString());
        assertEquals(0, second.code(), second.err());
        Map<String, String[]> a = effective(first.out());
        Map<String, String[]> b = effective(second.out());
        for (String key : a.keySet()) {
            if (!key.equals("config")) {
                assertEquals(a.get(key)[0], b.get(key)[0], key);
            }
        }
    }

    @Test
    void secretsAreMaskedWhereverTheyCameFrom() throws IOException {
        Path f = file("pg-password = from-file-secret");
        Run r = run(Map.of("SYNREP_PG_URL", "jdbc:postgresql://h:5432/db?user=u&password=url-secret"),
                "config", "--config", f.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("from-file-secret"), r.out());
        assertFalse(r.out().contains("url-secret"), r.out());
        assertEquals("****", effective(r.out()).get("pg-password")[0]);
        assertTrue(effective(r.out()).get("pg-url")[0].endsWith("password=****"));
    }

    @Test
    void badValuesNameTheKeyAsTheUserWroteIt() throws IOException {
        Path f = file("# first", "max-waiting = lots");
        Run fromFile = run(Map.of(), "config", "--config", f.toString());
        assertEquals(2, fromFile.code());
        assertEquals("synrep serve: max-waiting (" + f + ":2) must be an integer, was 'lots'\n", fromFile.err());
        Run fromEnv = run(Map.of("SYNREP_HEARTBEAT", "soon"), "config");
        assertEquals(2, fromEnv.code());
        assertTrue(fromEnv.err().startsWith("synrep serve: SYNREP_HEARTBEAT must be a duration"), fromEnv.err());
        Run fromCli = run(Map.of(), "config", "--listen", "nowhere");
        assertEquals(2, fromCli.code());
        assertTrue(fromCli.err().startsWith("synrep serve: --listen must be HOST:PORT"), fromCli.err());
        Run url = run(Map.of("SYNREP_PG_URL", "mysql://h/db?password=pw"), "config");
        assertEquals(2, url.code());
        assertTrue(url.err().contains("SYNREP_PG_URL must look like jdbc:postgresql://"), url.err());
        assertFalse(url.err().contains("=pw"), "the password is masked in the message too");
        Run missing = run(Map.of(), "config", "--config", dir.resolve("nope.conf").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("does not exist (fix --config or SYNREP_CONFIG)"), missing.err());
    }

    @Test
    void workerConfigurationAndFlagsFromTheEnvironment() throws IOException {
        Path f = file("listen = 0.0.0.0:1", "worker.listen = 127.0.0.1:9200", "retention-rows = 5");
        Map<String, String> env = new HashMap<>(Map.of("SYNREP_RELAY", "http://relay:9099",
                "SYNREP_PG_URL", "jdbc:postgresql://db/synapse", "SYNREP_TOKEN_TABLE", "true"));
        Run r = run(env, "config", "worker", "--config", f.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, String[]> e = effective(r.out());
        assertEquals("127.0.0.1:9200", e.get("listen")[0], "the worker-prefixed key wins over the bare one");
        assertEquals("true", e.get("token-table")[0]);
        assertFalse(e.containsKey("retention-rows"), "a serve key in a shared file is not the worker's");
        env.put("SYNREP_TOKEN_TABLE", "maybe");
        Run bad = run(env, "config", "worker");
        assertEquals(2, bad.code());
        assertEquals("synrep worker: SYNREP_TOKEN_TABLE must be true or false, was 'maybe'\n", bad.err());
        Run none = run(Map.of(), "config", "tail");
        assertEquals(2, none.code());
    }

    @Test
    void theServeCommandItselfTakesTheEnvironment() {
        // serve validates before it starts anything: a bad environment value stops it with exit 2 naming the key
        Run r = run(Map.of("SYNREP_MAX_WAITING", "0"), "serve");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("synrep serve: SYNREP_MAX_WAITING must be between 1"), r.err());
    }

    @Test
    void aValueStartingWithAnAtSignIsAValueNotAFileOfArguments() throws IOException {
        Path f = file("--slot");
        Run r = run(Map.of(), "config", "--data-dir", "@" + f);
        assertEquals(0, r.code(), r.err());
        assertEquals("@" + f, effective(r.out()).get("data-dir")[0]);
        assertEquals("synrep", effective(r.out()).get("slot")[0]);
    }

    @Test
    void helpListsEveryKeyWithItsEnvironmentVariable() {
        Run r = run(Map.of(), "serve", "--help");
        for (Setting<?> k : ServeSettings.KEYS) {
            assertTrue(r.out().contains("--" + k.name()), k.name());
            assertTrue(r.out().replace("\n", " ").replaceAll(" +", " ").contains(k.envName()), k.envName());
        }
    }
}

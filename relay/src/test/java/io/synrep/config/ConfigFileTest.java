package io.synrep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigFileTest {
    private static final Path F = Path.of("synrep.conf");
    private static final Set<String> SERVE = Set.of("listen", "slot", "retention-rows");
    private static final Set<String> ALL = Set.of("listen", "slot", "retention-rows", "relay");
    private static final Set<String> COMMANDS = Set.of("serve", "worker");

    private static Map<String, ConfigFile.Entry> serve(String... lines) {
        return ConfigFile.parse(F, List.of(lines)).valuesFor("serve", SERVE, ALL, COMMANDS);
    }

    @Test
    void readsKeysValuesCommentsAndBlankLines() {
        Map<String, ConfigFile.Entry> v = serve("# a comment", "", "  listen =  0.0.0.0:9099  ", "slot=a#b");
        assertEquals("0.0.0.0:9099", v.get("listen").value());
        assertEquals("synrep.conf:3", v.get("listen").where());
        assertEquals("a#b", v.get("slot").value(), "a # inside a value is part of it");
        assertEquals(2, v.size());
    }

    @Test
    void aCommandPrefixedKeyWinsOverTheBareOneAndOtherCommandsKeysAreLeftAlone() {
        Map<String, ConfigFile.Entry> v = serve("serve.listen = 1.2.3.4:1", "listen = 5.6.7.8:2", "worker.listen = x:3",
                "relay = http://r:1");
        assertEquals("1.2.3.4:1", v.get("listen").value());
        assertFalse(v.containsKey("relay"), "relay is a worker key");
    }

    @Test
    void mistakesNameTheLine() {
        assertEquals("synrep.conf:2: expected 'key = value', found 'listen'",
                assertThrows(ConfigException.class, () -> serve("slot = a", "listen")).getMessage());
        assertEquals("synrep.conf:1: unknown key 'retention-row' (did you mean 'retention-rows'?)",
                assertThrows(ConfigException.class, () -> serve("retention-row = 3")).getMessage());
        assertEquals("synrep.conf:3: slot is set twice (also at synrep.conf:1)",
                assertThrows(ConfigException.class, () -> serve("slot = a", "", "slot = b")).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> serve("tail.url = x")).getMessage()
                .startsWith("synrep.conf:1: 'tail' in 'tail.url' is not a command"));
        assertEquals("synrep.conf:1: synrep serve has no key 'relay'",
                assertThrows(ConfigException.class, () -> serve("serve.relay = x")).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> serve("Listen = x")).getMessage()
                .contains("is not a key name"));
    }

    @Test
    void aMissingFileSaysHowToFixIt() {
        String m = assertThrows(ConfigException.class, () -> ConfigFile.load(Path.of("/nonexistent/synrep.conf")))
                .getMessage();
        assertEquals("configuration file /nonexistent/synrep.conf does not exist (fix --config or SYNREP_CONFIG)", m);
    }

    @Test
    void secretsAndUrlPasswordsAreMasked() {
        Setting<String> pw = Setting.text("pg-password", "PW", null, "doc").secret();
        assertEquals("****", pw.display("hunter2"));
        assertEquals("", pw.display(""));
        Setting<String> url = Setting.text("pg-url", "URL", null, "doc");
        assertEquals("jdbc:postgresql://h:5432/db?user=u&password=****&ssl=true",
                url.display("jdbc:postgresql://h:5432/db?user=u&password=hunter2&ssl=true"));
        assertEquals("http://u:****@h:1/", url.display("http://u:hunter2@h:1/"));
        assertEquals("SYNREP_RETENTION_ROWS", Setting.envName("retention-rows"));
    }

    @Test
    void everyKeyOfTheTableIsDocumentedUniqueAndItsDefaultParses() {
        for (String command : Settings.commands()) {
            List<Setting<?>> keys = Settings.of(command);
            assertEquals(keys.size(), keys.stream().map(Setting::name).distinct().count(), command);
            for (Setting<?> k : keys) {
                assertFalse(k.help().isBlank(), k.name());
                Object d = k.defaultValue(1L << 30);
                String shown = k.defaultText(1L << 30);
                if (d != null && !shown.isEmpty()) {
                    assertEquals(d, k.parse(shown), "the default as shown reads back as the default: " + k.name());
                }
            }
        }
    }
}

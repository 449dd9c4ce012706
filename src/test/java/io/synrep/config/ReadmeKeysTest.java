package io.synrep.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The key tables of docs/configuration.md (moved there from the README, whose name this class keeps) list every key
 * of the table with its environment variable and default.
 */
class ReadmeKeysTest {
    @Test
    void everyKeyIsInTheConfigurationPageWithItsDefault() throws IOException {
        String doc = Files.readString(Path.of("docs", "configuration.md"));
        for (String command : ConfigKeys.commands()) {
            int section = doc.indexOf("`synrep " + command + "`:\n");
            assertTrue(section >= 0, "a key table for " + command);
            for (ConfigKey k : ConfigKeys.of(command).orElseThrow()) {
                String d = k.defaultValue().isEmpty() ? "—" : "`" + k.defaultValue() + "`";
                String row = "| `" + k.name() + "` | `" + k.envName() + "` | " + d + " |";
                assertTrue(doc.indexOf(row, section) >= 0,
                        "docs/configuration.md row for " + command + " " + k.name() + ": " + row);
            }
        }
    }
}

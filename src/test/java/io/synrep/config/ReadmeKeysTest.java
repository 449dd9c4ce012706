package io.synrep.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's key tables list every key of the table with its environment variable and default. */
class ReadmeKeysTest {
    @Test
    void everyKeyIsInTheReadmeWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (String command : ConfigKeys.commands()) {
            int section = readme.indexOf("`synrep " + command + "`:\n");
            assertTrue(section >= 0, "a key table for " + command);
            for (ConfigKey k : ConfigKeys.of(command).orElseThrow()) {
                String d = k.defaultValue().isEmpty() ? "—" : "`" + k.defaultValue() + "`";
                String row = "| `" + k.name() + "` | `" + k.envName() + "` | " + d + " |";
                assertTrue(readme.indexOf(row, section) >= 0, "README row for " + command + " " + k.name() + ": " + row);
            }
        }
    }
}

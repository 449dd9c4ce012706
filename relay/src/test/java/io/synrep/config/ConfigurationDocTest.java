package io.synrep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The key tables of docs/configuration.md are {@link Settings#markdownTable} of each command, exactly: a key added,
 * removed or changed in the table without the page fails here. {@code mvn test -Dtest=ConfigurationDocTest
 * -Dsynrep.docs.write=true} rewrites the tables in place (between the line {@code `synrep COMMAND`:} and the next
 * blank line).
 */
class ConfigurationDocTest {
    private static final Path PAGE = Path.of("docs", "configuration.md");

    @Test
    void theKeyTablesAreTheSettingsTables() throws IOException {
        String page = Files.readString(PAGE);
        String generated = page;
        for (String command : Settings.commands()) {
            String marker = "`synrep " + command + "`:\n\n";
            int from = generated.indexOf(marker);
            assertTrue(from >= 0, "docs/configuration.md has a key table for " + command + " after " + marker.strip());
            from += marker.length();
            int to = generated.indexOf("\n\n", from);
            to = to < 0 ? generated.length() : to + 1;
            generated = generated.substring(0, from) + Settings.markdownTable(command) + generated.substring(to);
        }
        if (Boolean.getBoolean("synrep.docs.write") && !generated.equals(page)) {
            Files.writeString(PAGE, generated);
            page = generated;
        }
        assertEquals(generated, page, "docs/configuration.md's key tables differ from the settings tables; "
                + "regenerate with -Dsynrep.docs.write=true");
    }
}

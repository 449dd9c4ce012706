package io.synrep.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The wire contract sits below both ends: {@code protocol} uses no other Synrep package, and the reader library
 * ({@code client}) uses none but {@code protocol}, so that a reader never depends on the server. Read from the
 * sources: imports and fully qualified names alike.
 */
class PackageBoundariesTest {
    private static final Path MAIN = Path.of("src", "main", "java", "io", "synrep");
    private static final Pattern SYNREP_PACKAGE = Pattern.compile("\\bio\\.synrep\\.([a-z]+)\\.");

    @Test
    void protocolUsesNoOtherSynrepPackage() throws IOException {
        assertEquals(List.of(), uses("protocol", Set.of("protocol")));
    }

    @Test
    void theReaderLibraryUsesOnlyProtocol() throws IOException {
        assertEquals(List.of(), uses("client", Set.of("client", "protocol")));
    }

    /** Each use of a Synrep package outside {@code allowed} in {@code pkg}'s sources, as "File: package". */
    private static List<String> uses(String pkg, Set<String> allowed) throws IOException {
        Path dir = MAIN.resolve(pkg);
        assertTrue(Files.isDirectory(dir), "run from the project root: " + dir.toAbsolutePath());
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = SYNREP_PACKAGE.matcher(Files.readString(f));
                while (m.find()) {
                    if (!allowed.contains(m.group(1))) {
                        found.add(f.getFileName() + ": " + m.group(1));
                    }
                }
            }
        }
        return found;
    }
}

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
 * ({@code client} and its {@code client.synapse} stores) uses none but {@code protocol}, so that a reader never
 * depends on the server; the library's generic core does not use its Synapse stores. Read from the sources: imports
 * and fully qualified names alike.
 */
class ReaderLibraryBoundariesTest {
    private static final Path MAIN = Path.of("src", "main", "java", "io", "synrep");
    private static final Pattern SYNREP_PACKAGE = Pattern.compile("\\bio\\.synrep\\.([a-z]+)\\.");
    private static final Pattern SYNAPSE_STORES = Pattern.compile("\\bio\\.synrep\\.client\\.(synapse)\\b");

    @Test
    void protocolUsesNoOtherSynrepPackage() throws IOException {
        assertEquals(List.of(), uses("protocol", Set.of("protocol")));
    }

    @Test
    void theReaderLibraryUsesOnlyProtocol() throws IOException {
        assertEquals(List.of(), uses("client", Set.of("client", "protocol")));
        assertEquals(List.of(), uses("client/synapse", Set.of("client", "protocol")));
    }

    @Test
    void theReaderLibrarysCoreDoesNotUseItsSynapseStores() throws IOException {
        assertEquals(List.of(), uses("client", SYNAPSE_STORES, Set.of()));
    }

    /** Each use of a Synrep package outside {@code allowed} in {@code pkg}'s sources, as "File: package". */
    private static List<String> uses(String pkg, Set<String> allowed) throws IOException {
        return uses(pkg, SYNREP_PACKAGE, allowed);
    }

    /** Each match of {@code pattern} whose group 1 is not in {@code allowed} in {@code dir}'s own sources. */
    private static List<String> uses(String pkg, Pattern pattern, Set<String> allowed) throws IOException {
        Path dir = MAIN.resolve(pkg);
        assertTrue(Files.isDirectory(dir), "run from the project root: " + dir.toAbsolutePath());
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = pattern.matcher(Files.readString(f));
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

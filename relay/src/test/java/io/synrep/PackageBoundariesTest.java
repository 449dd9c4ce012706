package io.synrep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package map holds: one package per stage or role, data flowing one way, no package cycle. Read from the main
 * sources: imports and fully qualified names in code and comments alike (string literals are not uses).
 *
 * <p>Nodes are packages, named after the part below {@code io.synrep} ({@code root} for {@code io.synrep} itself),
 * with one exception: {@code Main}, the launcher named by the jar's manifest, is a node of its own. It calls
 * {@code cli}, which starts the composition root {@link Relay} beside it; counted as one package, the two would make
 * {@code root} and {@code cli} a cycle that no class takes part in. {@link #nothingUsesTheLauncher} keeps it so.
 */
class PackageBoundariesTest {
    /** The sources of both modules: the reader library (client/) and the relay (relay/); tests run from the top. */
    private static final List<Path> MAINS = List.of(Path.of("client", "src", "main", "java", "io", "synrep"),
            Path.of("relay", "src", "main", "java", "io", "synrep"));
    /** {@code io.synrep.} then a subpackage and a dot, or a class of the root package. */
    private static final Pattern SYNREP_NAME =
            Pattern.compile("\\bio\\.synrep\\.(?:([a-z][a-z0-9]*)\\.(\\w+)|([A-Z]\\w*))");
    private static final String LAUNCHER = "Main";

    /**
     * What each stage or role may use besides itself. {@code cli} and {@code root} (the commands and the composition
     * root) may use any package; every other package is listed.
     */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("protocol", Set.of()),
            // the settings tables parse LSNs and start tokens with the wire contract's Position
            Map.entry("config", Set.of("protocol")),
            Map.entry("streams", Set.of("protocol")),
            Map.entry("log", Set.of("protocol", "config")),
            Map.entry("capture", Set.of("streams", "log", "protocol", "config")),
            Map.entry("http", Set.of("log", "protocol", "config")),
            Map.entry("client", Set.of("protocol")),
            Map.entry("worker", Set.of("client", "protocol", "config", "http.Listener")),
            Map.entry("writer", Set.of()),
            Map.entry("embedded", Set.of()),
            Map.entry("bench", Set.of("root", "embedded", "config", "protocol", "streams")));

    @Test
    void thereIsNoPackageCycle() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        uses().forEach((node, used) -> {
            Set<String> targets = graph.computeIfAbsent(node, k -> new TreeSet<>());
            used.forEach(u -> targets.add(packageOf(u)));
            targets.remove(node);
        });
        assertEquals(List.of(), cycles(graph), "package cycles in " + graph);
    }

    @Test
    void eachPackageUsesOnlyThePackagesItMay() throws IOException {
        Map<String, Set<String>> uses = uses();
        Set<String> unlisted = new TreeSet<>(uses.keySet());
        unlisted.removeAll(ALLOWED.keySet());
        assertEquals(Set.of("cli", "root", LAUNCHER), unlisted, "a new package needs its line in ALLOWED");
        assertTrue(uses.keySet().containsAll(ALLOWED.keySet()), "packages gone: " + ALLOWED.keySet());
        List<String> found = new ArrayList<>();
        ALLOWED.forEach((pkg, allowed) -> {
            for (String used : uses.get(pkg)) {
                String p = packageOf(used);
                if (!p.equals(pkg) && !allowed.contains(p) && !allowed.contains(used)) {
                    found.add(pkg + " uses " + used);
                }
            }
        });
        found.sort(null);
        assertEquals(List.of(), found);
    }

    @Test
    void benchStartsTheRelayThroughTheRootNotTheCommands() throws IOException {
        assertTrue(uses().get("bench").contains("root.Relay"), "bench starts io.synrep.Relay");
        assertTrue(uses().get("bench").stream().noneMatch(u -> u.startsWith("cli.")), "bench uses cli");
    }

    @Test
    void theReaderLibraryUsesNoServerPackage() throws IOException {
        assertEquals(Set.of("protocol"), uses().get("client").stream().map(PackageBoundariesTest::packageOf)
                .filter(p -> !p.equals("client")).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void nothingUsesTheLauncher() throws IOException {
        uses().forEach((node, used) -> assertTrue(!used.contains("root." + LAUNCHER), node + " uses " + LAUNCHER));
    }

    /** Per node, the Synrep names its sources use, as "package.Class" ("root.Relay" for a root class). */
    private static Map<String, Set<String>> uses() throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        for (Path main : MAINS) {
            assertTrue(Files.isDirectory(main), "run from the project root: " + main.toAbsolutePath());
            try (Stream<Path> files = Files.walk(main)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    Path rel = main.relativize(f);
                    String node = rel.getNameCount() == 1
                            ? (rel.toString().equals(LAUNCHER + ".java") ? LAUNCHER : "root")
                            : rel.getName(0).toString();
                    Set<String> used = out.computeIfAbsent(node, k -> new TreeSet<>());
                    Matcher m = SYNREP_NAME.matcher(withoutLiterals(Files.readString(f)));
                    while (m.find()) {
                        used.add(m.group(3) != null ? "root." + m.group(3) : m.group(1) + "." + m.group(2));
                    }
                }
            }
        }
        return out;
    }

    /** "capture" for "capture.Capture"; "root" for "root.Relay"; the launcher is a node of its own. */
    private static String packageOf(String used) {
        return used.equals("root." + LAUNCHER) ? LAUNCHER : used.substring(0, used.indexOf('.'));
    }

    /** The source with the contents of string, text block and character literals blanked; comments are kept. */
    static String withoutLiterals(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                int end = source.indexOf('\n', i);
                end = end < 0 ? n : end;
                out.append(source, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                out.append(source, i, end);
                i = end;
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && source.charAt(j) != c) {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(n, j + 1);
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Each cycle found by a depth-first search, as its nodes in order; empty when the graph has none. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        List<List<String>> found = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            visit(start, graph, new ArrayList<>(), done, found);
        }
        return found;
    }

    private static void visit(String node, Map<String, Set<String>> graph, List<String> path, Set<String> done,
                              List<List<String>> found) {
        int at = path.indexOf(node);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            cycle.add(node);
            found.add(cycle);
            return;
        }
        if (done.contains(node)) {
            return;
        }
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            visit(next, graph, path, done, found);
        }
        path.remove(path.size() - 1);
        done.add(node);
    }
}

package io.synrep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md and docs/*.md link only inside the repository: every relative link names an existing file (and, with a
 * {@code #fragment}, a heading of that Markdown file, by GitHub's anchor rule), no link leaves the repository's root,
 * and no http(s) address names another site (loopback addresses and upper-case placeholders such as {@code HOST}
 * are examples, not links). The checker is also run on small made-up trees, so that it is seen to fail.
 */
class DocsLinksTest {
    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)(?:\\s+#+)?\\s*$");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
    private static final Pattern INLINE_LINK =
            Pattern.compile("!?\\[([^\\]]*)\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern REFERENCE_LINK = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?(?:\\s.*)?$");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    private static final Pattern URL = Pattern.compile("(?i)https?://([^/\\s`'\"()<>|\\]]*)");

    @Test
    void theRepositorysDocumentsLinkOnlyToFilesAndHeadingsThatExist() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        List<Path> pages = documents(root);
        assertTrue(pages.contains(root.resolve("README.md")), "README.md is checked");
        assertTrue(pages.size() > 1, "docs/*.md are checked: " + pages);
        assertEquals(List.of(), problems(root, pages));
    }

    @Test
    void everyDocsPageIsLinkedFromTheReadme() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        Set<Path> linked = new LinkedHashSet<>();
        for (String target : links(Files.readString(root.resolve("README.md")))) {
            if (!SCHEME.matcher(target).find() && !target.startsWith("#")) {
                linked.add(root.resolve(target.split("#", 2)[0]).normalize());
            }
        }
        for (Path page : documents(root)) {
            if (!page.getFileName().toString().equals("README.md")) {
                assertTrue(linked.contains(page), "README.md links to " + root.relativize(page));
            }
        }
    }

    @Test
    void theCheckerReportsEachKindOfBadLink(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/a.md"), """
                # Page A

                ## The current catalog (`synapse-current`)

                ```
                # not a heading, and [not a link](nowhere.md)
                ```
                """);
        Files.writeString(root.resolve("README.md"), """
                # Readme

                Fine: [a](docs/a.md), [anchor](docs/a.md#the-current-catalog-synapse-current), [self](#readme),
                `[in code](missing.md)`, `curl http://127.0.0.1:9099/health`, `--url http://HOST:PORT`.
                Broken: [missing file](docs/b.md), [missing anchor](docs/a.md#not-a-heading),
                [code block is no heading](docs/a.md#not-a-heading-and-not-a-link),
                [outside](../shared/SPEC.md), [site](https://example.org/x), see <http://example.com>,
                [mail](mailto:someone@example.org).

                [ref]: https://example.net/
                """);
        List<String> problems = problems(root, List.of(root.resolve("README.md"), root.resolve("docs/a.md")));
        List<String> expected = List.of(
                "README.md: docs/b.md: no such file",
                "README.md: docs/a.md#not-a-heading: no such heading",
                "README.md: docs/a.md#not-a-heading-and-not-a-link: no such heading",
                "README.md: ../shared/SPEC.md: outside the repository",
                "README.md: https://example.org/x: a link to another site",
                "README.md: mailto:someone@example.org: a link to another site",
                "README.md: https://example.net/: a link to another site",
                "README.md: address of another site: https://example.org",
                "README.md: address of another site: http://example.com",
                "README.md: address of another site: https://example.net");
        assertEquals(Set.copyOf(expected), Set.copyOf(problems), String.join("\n", problems));
        assertEquals(expected.size(), problems.size(), String.join("\n", problems));
    }

    @Test
    void anchorsFollowGitHubsRule() {
        assertEquals("the-current-catalog-synapse-current", slug("The current catalog (`synapse-current`)"));
        assertEquals("status-page-and-status", slug("Status page and `/status`"));
        assertEquals("where-the-time-goes-jfr-profiles-of-the-full-runs",
                slug("Where the time goes (JFR profiles of the full runs)"));
        assertEquals("keys-of-synrep-serve", slug("Keys of [`synrep serve`](x.md)"));
        assertEquals("large-toasted-values", slug("Large (TOASTed) values"));
    }

    // --- the checker ---------------------------------------------------------------------------------------------

    private static List<Path> documents(Path root) throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md").normalize());
        Path docs = root.resolve("docs");
        if (Files.isDirectory(docs)) {
            try (Stream<Path> s = Files.list(docs)) {
                s.filter(p -> p.toString().endsWith(".md")).map(Path::normalize).sorted().forEach(pages::add);
            }
        }
        return pages;
    }

    /** One line per problem: {@code FILE: TARGET: what is wrong}, FILE relative to root. */
    private static List<String> problems(Path root, List<Path> pages) throws IOException {
        Map<Path, Set<String>> anchors = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Path page : pages) {
            String text = Files.readString(page);
            String name = root.relativize(page).toString().replace('\\', '/');
            for (String target : links(text)) {
                String problem = check(root, page, target, anchors);
                if (problem != null) {
                    problems.add(name + ": " + target + ": " + problem);
                }
            }
            Matcher m = URL.matcher(text);
            while (m.find()) {
                if (!localOrPlaceholder(m.group(1))) {
                    problems.add(name + ": address of another site: " + m.group());
                }
            }
        }
        return problems;
    }

    private static String check(Path root, Path page, String target, Map<Path, Set<String>> anchors)
            throws IOException {
        if (SCHEME.matcher(target).find()) {
            return "a link to another site";
        }
        String[] parts = target.split("#", 2);
        Path file = parts[0].isEmpty() ? page : page.getParent().resolve(parts[0]).normalize();
        if (!file.startsWith(root)) {
            return "outside the repository";
        }
        if (!Files.exists(file)) {
            return "no such file";
        }
        if (parts.length == 2) {
            if (!file.toString().endsWith(".md")) {
                return "an anchor into a file that is not Markdown";
            }
            Set<String> known = anchors.get(file);
            if (known == null) {
                known = headingAnchors(Files.readString(file));
                anchors.put(file, known);
            }
            if (!known.contains(parts[1])) {
                return "no such heading";
            }
        }
        return null;
    }

    /** Targets of inline and reference links outside fenced code blocks and code spans. */
    private static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (FENCE.matcher(line).find()) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            String prose = CODE_SPAN.matcher(line).replaceAll("");
            Matcher m = INLINE_LINK.matcher(prose);
            while (m.find()) {
                targets.add(m.group(2));
            }
            Matcher r = REFERENCE_LINK.matcher(prose);
            if (r.matches()) {
                targets.add(r.group(1));
            }
        }
        return targets;
    }

    private static Set<String> headingAnchors(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (FENCE.matcher(line).find()) {
                fenced = !fenced;
                continue;
            }
            Matcher m = HEADING.matcher(line);
            if (!fenced && m.matches()) {
                String base = slug(m.group(2));
                int n = seen.merge(base, 1, Integer::sum) - 1;
                anchors.add(n == 0 ? base : base + "-" + n);
            }
        }
        return anchors;
    }

    /** GitHub's heading anchor: link text kept, lower case, punctuation dropped, spaces as hyphens. */
    private static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "").replace(' ', '-');
    }

    /** Loopback addresses, and placeholders ({@code HOST}, {@code …}) that name no site. */
    private static boolean localOrPlaceholder(String authority) {
        String host = authority.substring(authority.lastIndexOf('@') + 1);
        if (!host.startsWith("[")) {
            host = host.replaceFirst(":.*$", "");
        }
        return host.isEmpty() || host.equals("…") || host.matches("\\.+") || host.equals("localhost")
                || host.matches("127(\\.\\d{1,3}){3}") || host.startsWith("[::1]") || host.matches("[A-Z_]+");
    }
}

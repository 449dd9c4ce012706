package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.Setting;
import io.synrep.config.WorkerSettings;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code synrep worker --help}, through the command line's entry point, names every option and every read endpoint
 * the worker has: the options of the README's worker table and of the worker's key table, and the paths of the
 * worker's OpenAPI document (which {@code WorkerOpenApiIT} checks against the running API). Path parameters are
 * compared by position, not by name ({@code {P}} in the help is {@code {since}} in the document).
 */
class WorkerHelpTest {
    /** The worker's keys as the README's configuration table lists them. */
    private static final List<String> README_OPTIONS = List.of("config", "relay", "pg-url", "listen", "name", "tokens",
            "token-table", "from", "cache-size", "pool-size", "poll-timeout", "relay-secret", "relay-secret-file",
            "relay-ca", "auth-secret", "auth-secret-file", "tls-cert", "tls-key");
    /** The endpoints the README's worker paragraph names, in the help's spelling. */
    private static final List<String> README_ENDPOINTS = List.of("/events/{}", "/users/{}/rooms",
            "/rooms/{}/receipts", "/users/{}/receipts", "/users/{}/account_data", "/users/{}/tags",
            "/users/{}/push_rules", "/users/{}/pushers", "/pushers", "/users/{}/presence",
            "/rooms/{}/changed_since/{}", "/users/{}/changed_since/{}", "/caches", "/rooms/{}/latest_events");

    @Test
    void helpNamesEveryOptionAndEveryEndpoint() throws Exception {
        CliTest.Run r = CliTest.run("worker", "--help");
        assertEquals(0, r.code(), r.err());
        Set<String> words = words(r.out());

        Set<String> options = new LinkedHashSet<>(README_OPTIONS);
        for (Setting<?> k : WorkerSettings.KEYS) {
            options.add(k.name());
        }
        options.add("help");
        List<String> missing = new ArrayList<>();
        for (String o : options) {
            if (!words.contains("--" + o)) {
                missing.add("--" + o);
            }
        }

        Set<String> endpoints = new LinkedHashSet<>(README_ENDPOINTS);
        try (InputStream in = WorkerHelpTest.class.getResourceAsStream("/io/synrep/worker/worker-openapi.json")) {
            JsonNode doc = new ObjectMapper().readTree(in);
            doc.path("paths").fieldNames().forEachRemaining(p -> endpoints.add(p.replaceAll("\\{[^}]*}", "{}")));
        }
        assertTrue(endpoints.size() >= 20, "the OpenAPI document was read: " + endpoints);
        for (String e : endpoints) {
            if (!words.contains(e)) {
                missing.add(e);
            }
        }
        assertEquals(List.of(), missing, "worker --help does not name these:\n" + r.out());
    }

    /** The help's words, paths with their query stripped and their parameters as {@code {}}. */
    private static Set<String> words(String help) {
        Set<String> out = new LinkedHashSet<>();
        for (String w : help.split("\\s+")) {
            String word = w.replaceAll("[,;:.)]+$", "");
            if (word.startsWith("/")) {
                int q = word.indexOf('?');
                int bracket = word.indexOf('[');
                int cut = q < 0 ? bracket : bracket < 0 ? q : Math.min(q, bracket);
                if (cut > 0) {
                    word = word.substring(0, cut);
                }
                word = word.replaceAll("\\{[^}]*}", "{}");
            }
            out.add(word);
        }
        return out;
    }
}

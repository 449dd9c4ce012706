package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.streams.Catalog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synrep serve} without {@code --catalog}, as its own process: it detects the built-in catalog that fits the
 * writer's database, logs why, and serves that catalog (README, "Attaching to a Synapse database", step 4, and
 * "Streams and the catalog"). A current Synapse database (after {@code prepare --apply}, itself without
 * {@code --catalog}) gets {@code synapse-current} from its {@code schema_version}; the seed-era tables of
 * {@code sql/schema.sql} get {@code synapse-seed}.
 */
class ServeCatalogDetectionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void aCurrentSynapseDatabaseIsServedTheCurrentCatalogAndTheLogSaysWhy() throws Exception {
        String url = TestPostgres.freshCurrentSynapseDatabase("serve_detect_current");
        String applied = SynapseAttachIT.cli("prepare", "--apply", "--pg-url", url, "--publication", "detect");
        assertTrue(applied.contains("catalog synapse-current (Synapse schema_version 95 (72 or later))"), applied);
        try (RelayProcess relay = serve(url, "detect_current")) {
            assertServes(relay, "synapse-current", Catalog.builtin("synapse-current").streamNames());
            String log = relay.output();
            assertTrue(log.contains("catalog synapse-current: Synapse schema_version 95 (72 or later)"), log);
        }
    }

    @Test
    void theSeedSchemaIsServedTheSeedCatalogAndTheLogSaysWhy() throws Exception {
        String url = TestPostgres.freshDatabase("serve_detect_seed");
        try (RelayProcess relay = serve(url, "detect_seed")) {
            assertServes(relay, "synapse-seed", Catalog.builtin("synapse-seed").streamNames());
            String log = relay.output();
            assertTrue(log.contains("catalog synapse-seed: table cache_invalidation_stream exists"), log);
        }
    }

    private RelayProcess serve(String url, String name) throws Exception {
        return RelayProcess.start(List.of("-Xmx256m"), List.of("--pg-url", url, "--listen", "127.0.0.1:0",
                "--slot", name, "--publication", "detect", "--data-dir",
                Files.createDirectories(dir.resolve(name)).toString()));
    }

    /** The catalog endpoint names the catalog and lists exactly its streams, in its order. */
    private void assertServes(RelayProcess relay, String catalog, List<String> streams) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(relay.base()
                + "/_synapse/replication/catalog")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(catalog, body.path("catalog").asText(), r.body());
        List<String> served = new ArrayList<>();
        body.path("streams").forEach(s -> served.add(s.path("name").asText()));
        assertEquals(streams, served, r.body());
    }
}

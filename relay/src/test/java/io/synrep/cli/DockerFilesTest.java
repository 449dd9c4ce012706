package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.synrep.config.ConfigFile;
import io.synrep.config.Setting;
import io.synrep.config.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of docker/ without a Docker engine: the compose file parses, runs PostgreSQL with logical
 * replication, the relay and a worker; every SYNREP_* variable it sets is a key of the command that service runs and
 * the configuration each service would start with is valid; mounted and copied files exist; the example
 * configuration file documents every key.
 */
class DockerFilesTest {
    private static final Path DOCKER = Path.of("docker");

    private static JsonNode compose() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
    }

    @Test
    void composeRunsPostgresWithLogicalReplicationTheRelayAndAWorker() throws IOException {
        JsonNode services = compose().path("services");
        assertEquals(List.of("postgres", "synrep", "worker"), names(services));
        String pgCommand = services.path("postgres").path("command").toString();
        assertTrue(pgCommand.contains("wal_level=logical"), pgCommand);
        assertEquals("serve", services.path("synrep").path("command").path(0).asText());
        assertEquals("worker", services.path("worker").path("command").path(0).asText());
        assertEquals("http://synrep:9099", services.path("worker").path("environment").path("SYNREP_RELAY").asText(),
                "the worker reaches the relay by its service name and port");
        assertTrue(services.path("synrep").path("environment").path("SYNREP_PG_URL").asText()
                .startsWith("jdbc:postgresql://postgres:5432/"));
    }

    @Test
    void everyServiceConfigurationIsValidForItsCommand() throws IOException {
        JsonNode services = compose().path("services");
        for (String service : List.of("synrep", "worker")) {
            JsonNode s = services.path(service);
            String command = s.path("command").path(0).asText();
            Map<String, String> env = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = s.path("environment").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                env.put(e.getKey(), e.getValue().asText());
                boolean known = Settings.of(command).stream()
                        .anyMatch(k -> k.envName().equals(e.getKey()));
                assertTrue(known, service + ": " + e.getKey() + " is not a key of synrep " + command);
            }
            // as the image sets it: the baked-in configuration file, then the service's environment on top
            env.put("SYNREP_CONFIG", DOCKER.resolve("synrep.conf").toString());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = Cli.run(new String[] {"config", command}, new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8), env);
            assertEquals(0, code, service + ": " + err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void mountedAndCopiedFilesExist() throws IOException {
        JsonNode services = compose().path("services");
        for (JsonNode service : services) {
            for (JsonNode volume : service.path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (source.startsWith(".")) {
                    assertTrue(Files.exists(DOCKER.resolve(source)), "compose mounts " + source);
                }
            }
        }
        String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+)").matcher(dockerfile);
        int copies = 0;
        while (copy.find()) {
            copies++;
            assertTrue(Files.exists(Path.of(copy.group(1))), "Dockerfile copies " + copy.group(1));
        }
        assertTrue(copies >= 4, "the build stage copies pom, src, sql and the configuration");
        assertTrue(dockerfile.contains("EXPOSE 9099 9100"), "the default relay and worker ports");
        assertTrue(Files.isExecutable(DOCKER.resolve("initdb.sh")));
    }

    /**
     * Every key of the settings table is in the example, as {@code key = } ({@code worker.key = } for the worker's), a
     * commented-out line shows the key's real default when it has one, and the file's values are valid.
     */
    @Test
    void theExampleConfigurationShowsEveryKeyWithItsDefault() throws IOException {
        String example = Files.readString(DOCKER.resolve("synrep.conf"));
        List<String> wrong = new ArrayList<>();
        for (String command : Settings.commands()) {
            for (Setting<?> k : Settings.of(command)) {
                if (k == Settings.CONFIG) {
                    continue;
                }
                String prefix = command.equals("serve") ? "" : command + ".";
                Matcher line = Pattern.compile("(?m)^(#? ?)" + Pattern.quote(prefix + k.name()) + " =(?: (.*))?$")
                        .matcher(example);
                if (!line.find()) {
                    wrong.add("docker/synrep.conf does not show " + prefix + k.name());
                    continue;
                }
                String shown = line.group(2) == null ? "" : line.group(2).strip();
                String real = k.defaultText(Long.MAX_VALUE);
                if (line.group(1).startsWith("#") && !real.isEmpty() && !shown.equals(real)) {
                    wrong.add(prefix + k.name() + " is shown as '" + shown + "', its default is '" + real + "'");
                }
            }
        }
        assertEquals(List.of(), wrong);
        // and with its comments removed it is still a valid file for both commands
        ConfigFile f = ConfigFile.load(DOCKER.resolve("synrep.conf"));
        for (String command : Settings.commands()) {
            Settings.fileValues(f, command);
        }
    }

    private static List<String> names(JsonNode services) {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

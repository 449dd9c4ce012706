package io.synrep.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The commands whose settings come from the command line, the environment and a configuration file, with the
 * precedence command line &gt; environment ({@code SYNREP_KEY}) &gt; file &gt; default: {@code serve}
 * ({@link ServeSettings}) and {@code worker} ({@link WorkerSettings}). In a file, a bare key applies to every command
 * that has it and {@code COMMAND.key} to that command only, winning over the bare key.
 */
public final class Settings {
    private Settings() {}

    /** Names the configuration file; it is read from {@code --config} or {@code SYNREP_CONFIG}, never from a file. */
    public static final Setting<Path> CONFIG = Setting.path("config", "FILE", null,
            "configuration file of 'key = value' lines (see docs/configuration.md, docker/synrep.conf)");

    /** The commands that read configuration files and the environment, in the order docs list them. */
    public static List<String> commands() {
        return List.of("serve", "worker");
    }

    /** A command's settings; empty for a command without configuration. */
    public static List<Setting<?>> of(String command) {
        return switch (command) {
            case "serve" -> ServeSettings.KEYS;
            case "worker" -> WorkerSettings.KEYS;
            default -> List.of();
        };
    }

    /** Every key name some command has. */
    public static Set<String> allNames() {
        Set<String> all = new TreeSet<>();
        for (String c : commands()) {
            of(c).forEach(s -> all.add(s.name()));
        }
        return all;
    }

    /** The values of {@code file} that apply to {@code command} (see {@link ConfigFile#valuesFor}). */
    public static Map<String, ConfigFile.Entry> fileValues(ConfigFile file, String command) {
        return file.valuesFor(command, of(command).stream().map(Setting::name).toList(), allNames(), commands());
    }

    /** Checks a PostgreSQL JDBC URL; the message masks a password in it. */
    public static String jdbcUrl(String url) {
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("must look like jdbc:postgresql://HOST:PORT/DB, was '"
                    + Setting.maskUrlPassword(url) + "'");
        }
        return url;
    }

    /**
     * The key table of docs/configuration.md for {@code command}: key, environment variable, default (as with no heap
     * limit), allowed values and meaning, one Markdown row each.
     */
    public static String markdownTable(String command) {
        StringBuilder sb = new StringBuilder("| key | environment | default | values | meaning |\n|---|---|---|---|---|\n");
        for (Setting<?> s : of(command)) {
            String d = s.defaultText(Long.MAX_VALUE);
            sb.append("| `").append(s.name()).append("` | `").append(s.envName()).append("` | ")
                    .append(d.isEmpty() ? "—" : "`" + d + "`").append(" | ")
                    .append(s.bounds().isEmpty() ? "" : s.bounds()).append(" | ")
                    .append(s.help().replace("|", "\\|")).append(s.isSecret() ? " (secret: masked)" : "")
                    .append(" |\n");
        }
        return sb.toString();
    }
}

package io.synrep.cli;

import io.synrep.config.ConfigException;
import io.synrep.config.ConfigFile;
import io.synrep.config.Resolved;
import io.synrep.config.Setting;
import io.synrep.config.Settings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Picocli's default values for the options not on the command line: the environment ({@code SYNREP_KEY}), else the
 * configuration file ({@code --config FILE}, else {@code SYNREP_CONFIG}; {@code key = value}, {@code worker.key} for
 * the worker only). Remembers where each value came from, for messages and {@code synrep config}. One per parse.
 */
final class SettingSources implements CommandLine.IDefaultValueProvider {
    private final String command;
    private final List<Setting<?>> settings;
    private final Map<String, String> env;
    private final Map<String, Resolved.Given> given = new HashMap<>();
    private CommandLine.Model.CommandSpec spec;
    private Map<String, ConfigFile.Entry> file;
    private UsageException problem;

    /**
     * @param command the command whose keys the file holds ({@code serve}, {@code worker})
     * @param env     the environment
     */
    SettingSources(String command, Map<String, String> env) {
        this.command = command;
        this.settings = Settings.of(command);
        this.env = env;
    }

    /** The command line this provides for; its {@code --config} option names the file. */
    void attach(CommandLine.Model.CommandSpec spec) {
        this.spec = spec;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o)) {
            return null;
        }
        String name = o.longestName().substring(2);
        Setting<?> s = settings.stream().filter(k -> k.name().equals(name)).findFirst().orElse(null);
        Resolved.Given g = s == null ? null : lookup(s);
        if (g == null) {
            return null;
        }
        given.put(name, g);
        if (s.isFlag()) {
            // a text that is neither true nor false is reported when the values are resolved
            return g.text().equalsIgnoreCase("true") || g.text().equalsIgnoreCase("false")
                    ? g.text().toLowerCase(java.util.Locale.ROOT) : null;
        }
        return g.text();
    }

    /** The value picocli was given for {@code name} from the environment or the file, or null. */
    Resolved.Given given(String name) {
        return given.get(name);
    }

    /** Reads the configuration file now if it was not read yet: its mistakes stop the command even when unused. */
    void check() {
        fileValues();
        if (problem != null) {
            throw problem;
        }
    }

    private Resolved.Given lookup(Setting<?> s) {
        String fromEnv = env.get(s.envName());
        if (s == Settings.CONFIG) {
            // the file is named by the command line or the environment, never by itself
            return fromEnv == null ? null : new Resolved.Given(fromEnv, s.envName(), "env");
        }
        if (fromEnv != null) {
            return new Resolved.Given(fromEnv, s.envName(), "env " + s.envName());
        }
        ConfigFile.Entry e = fileValues().get(s.name());
        return e == null ? null : new Resolved.Given(e.value(), s.name() + " (" + e.where() + ")", "file " + e.where());
    }

    private Map<String, ConfigFile.Entry> fileValues() {
        if (file != null) {
            return file;
        }
        file = Map.of();
        OptionSpec option = spec == null ? null : spec.findOption("--" + Settings.CONFIG.name());
        String name = option != null && option.getValue() != null ? option.getValue()
                : env.get(Settings.CONFIG.envName());
        if (name == null || name.isBlank()) {
            return file;
        }
        try {
            file = Settings.fileValues(ConfigFile.load(Path.of(name)), command);
        } catch (ConfigException e) {
            problem = new UsageException(command + ": " + e.getMessage());
        } catch (InvalidPathException e) {
            problem = new UsageException(command + ": --config is not a file name: '" + name + "'");
        }
        return file;
    }
}

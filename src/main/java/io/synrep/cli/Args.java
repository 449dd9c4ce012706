package io.synrep.cli;

import io.synrep.config.ConfigException;
import io.synrep.config.ConfigFile;
import io.synrep.config.ConfigKey;
import io.synrep.config.ConfigKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of one subcommand. On the command line: {@code --name value}, {@code --name=value} and boolean
 * {@code --flag}. Commands with a key table ({@link ConfigKeys}) also take each key from the environment
 * ({@code SYNREP_NAME}) and from a configuration file ({@code --config FILE} or {@code SYNREP_CONFIG}), with the
 * precedence command line &gt; environment &gt; file &gt; default. Unknown options and malformed values are
 * {@link UsageException}s naming the option as the user wrote it (the flag, the variable or the file line).
 */
final class Args {
    /** A value and how to name it in messages. */
    private record Value(String value, String label, String source) {}

    private final Map<String, Value> values = new HashMap<>();
    private final String command;

    private Args(String command) {
        this.command = command;
    }

    /**
     * Command-line options only.
     *
     * @param known options the command accepts (without {@code --}); names ending in {@code !} are flags
     */
    static Args parse(String command, List<String> argv, Set<String> known) {
        Args a = new Args(command);
        a.parseCommandLine(argv, known);
        return a;
    }

    /** The names (flags ending in {@code !}) that {@link #parse} accepts for a key table. */
    static Set<String> known(List<ConfigKey> keys) {
        Set<String> known = new HashSet<>();
        for (ConfigKey k : keys) {
            known.add(k.isFlag() ? k.name() + "!" : k.name());
        }
        return known;
    }

    /**
     * Every key of {@code command}'s table from the command line, the environment and the configuration file, in
     * that order of precedence.
     */
    static Args resolve(String command, List<String> argv, Map<String, String> env) {
        List<ConfigKey> keys = ConfigKeys.of(command).orElseThrow();
        Args a = new Args(command);
        a.parseCommandLine(argv, known(keys));
        String file = a.has("config") ? a.get("config", null) : env.get(ConfigKeys.CONFIG.envName());
        Map<String, ConfigFile.Entry> fromFile = Map.of();
        if (file != null && !file.isBlank()) {
            try {
                fromFile = ConfigFile.load(Path.of(file)).valuesFor(command,
                        keys.stream().map(ConfigKey::name).toList(), ConfigKeys.allNames(), ConfigKeys.commands());
            } catch (ConfigException e) {
                throw new UsageException(command + ": " + e.getMessage());
            } catch (java.nio.file.InvalidPathException e) {
                throw new UsageException(command + ": --config is not a file name: '" + file + "'");
            }
            if (!a.has("config")) {
                a.values.put("config", new Value(file, ConfigKeys.CONFIG.envName(), "env"));
            }
        }
        for (ConfigKey k : keys) {
            if (a.values.containsKey(k.name()) || k == ConfigKeys.CONFIG) {
                continue;
            }
            String fromEnv = env.get(k.envName());
            Value v = null;
            if (fromEnv != null) {
                v = new Value(fromEnv, k.envName(), "env " + k.envName());
            } else if (fromFile.containsKey(k.name())) {
                ConfigFile.Entry e = fromFile.get(k.name());
                v = new Value(e.value(), k.name() + " (" + e.where() + ")", "file " + e.where());
            }
            if (v == null) {
                continue;
            }
            if (k.isFlag()) {
                if (v.value().equalsIgnoreCase("false")) {
                    continue;
                }
                if (!v.value().equalsIgnoreCase("true")) {
                    throw new UsageException(command + ": " + v.label() + " must be true or false, was '" + v.value() + "'");
                }
                v = new Value("true", v.label(), v.source());
            }
            a.values.put(k.name(), v);
        }
        return a;
    }

    private void parseCommandLine(List<String> argv, Set<String> known) {
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException(command + ": unexpected argument '" + arg + "' (see synrep " + command + " --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (known.contains(name + "!")) {
                if (value != null) {
                    throw new UsageException(command + ": --" + name + " takes no value");
                }
                value = "true";
            } else if (known.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.size()) {
                        throw new UsageException(command + ": --" + name + " needs a value");
                    }
                    value = argv.get(++i);
                }
            } else {
                throw new UsageException(command + ": unknown option --" + name + " (see synrep " + command + " --help)");
            }
            if (values.put(name, new Value(value, "--" + name, "command line")) != null) {
                throw new UsageException(command + ": --" + name + " given twice");
            }
        }
    }

    /** How the user wrote {@code name}: {@code --name}, {@code SYNREP_NAME} or {@code name (FILE:LINE)}. */
    String label(String name) {
        Value v = values.get(name);
        return v == null ? "--" + name : v.label();
    }

    /** Where {@code name}'s value came from: command line, env VAR, file FILE:LINE, or default. */
    String source(String name) {
        Value v = values.get(name);
        return v == null ? "default" : v.source();
    }

    String command() {
        return command;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name, String fallback) {
        Value v = values.get(name);
        return v == null ? fallback : v.value();
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    long getLong(String name, long fallback, long min, long max) {
        if (!values.containsKey(name)) {
            return fallback;
        }
        String v = values.get(name).value();
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + label(name) + " must be an integer, was '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(command + ": " + label(name) + " must be between " + min + " and " + max + ", was " + n);
        }
        return n;
    }

    double getDouble(String name, double fallback) {
        if (!values.containsKey(name)) {
            return fallback;
        }
        String v = values.get(name).value();
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + label(name) + " must be a number, was '" + v + "'");
        }
    }

    /** Durations as {@code 30s}, {@code 5m}, {@code 2h}, {@code 500ms} or plain seconds. */
    Duration getDuration(String name, Duration fallback) {
        if (!values.containsKey(name)) {
            return fallback;
        }
        String v = values.get(name).value();
        try {
            return parseDuration(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": " + label(name) + " must be a duration like 30s, 5m, 2h or 500ms, was '" + v + "'");
        }
    }

    static Duration parseDuration(String v) {
        String s = v.trim().toLowerCase();
        long n;
        if (s.endsWith("ms")) {
            n = Long.parseLong(s.substring(0, s.length() - 2));
            return check(Duration.ofMillis(n));
        }
        char unit = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        String num = Character.isDigit(unit) ? s : s.substring(0, s.length() - 1);
        n = Long.parseLong(num);
        return check(switch (unit) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> {
                if (!Character.isDigit(unit)) {
                    throw new IllegalArgumentException(v);
                }
                yield Duration.ofSeconds(n);
            }
        });
    }

    private static Duration check(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative");
        }
        return d;
    }

    /** A command line that cannot be run; the message says what to change. Exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}

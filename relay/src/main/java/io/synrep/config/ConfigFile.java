package io.synrep.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A configuration file: UTF-8 lines of {@code key = value}; {@code #} starts a comment line; blank lines are
 * ignored; the value is the rest of the line with surrounding spaces removed (no quoting, so {@code #} inside a
 * value is kept). A key may be prefixed with a command, {@code worker.listen = ...}, to apply to that command only;
 * a bare key applies to every command that has it, and a prefixed key wins over a bare one. Immutable.
 */
public final class ConfigFile {
    /** One value and where it was written. */
    public record Entry(String value, String where) {}

    private final Path path;
    private final Map<String, Entry> entries;

    private ConfigFile(Path path, Map<String, Entry> entries) {
        this.path = path;
        this.entries = entries;
    }

    public Path path() {
        return path;
    }

    /** Reads and checks the syntax of a file; every problem names the file and line. */
    public static ConfigFile load(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + path + " does not exist (fix --config or "
                    + Setting.envName("config") + ")");
        } catch (CharacterCodingException e) {
            throw new ConfigException("configuration file " + path + " is not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + path + ": " + e.getMessage());
        }
        return parse(path, lines);
    }

    static ConfigFile parse(Path path, List<String> lines) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String where = path + ":" + (i + 1);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(where + ": expected 'key = value', found '" + abbreviate(line) + "'");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!key.matches("([a-z]+\\.)?[a-z][a-z0-9-]*")) {
                throw new ConfigException(where + ": '" + abbreviate(key)
                        + "' is not a key name (lower-case words joined by '-', optionally command.key)");
            }
            Entry previous = entries.put(key, new Entry(value, where));
            if (previous != null) {
                throw new ConfigException(where + ": " + key + " is set twice (also at " + previous.where() + ")");
            }
        }
        return new ConfigFile(path, entries);
    }

    /**
     * The values that apply to {@code command}: its prefixed keys and the bare ones. A bare key that no command
     * has, a prefixed key the command lacks, or a prefix that is no command is an error naming the line.
     *
     * @param known    the keys {@code command} has
     * @param anyKnown every key some command has
     * @param commands every command name that may be used as a prefix
     */
    public Map<String, Entry> valuesFor(String command, Collection<String> known, Collection<String> anyKnown,
                                        Collection<String> commands) {
        Map<String, Entry> out = new LinkedHashMap<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            if (dot < 0) {
                if (!anyKnown.contains(key)) {
                    throw new ConfigException(e.getValue().where() + ": unknown key '" + key + "'" + suggestion(key, anyKnown));
                }
                if (known.contains(key)) {
                    out.putIfAbsent(key, e.getValue());
                }
                continue;
            }
            String prefix = key.substring(0, dot);
            String name = key.substring(dot + 1);
            if (!commands.contains(prefix)) {
                throw new ConfigException(e.getValue().where() + ": '" + prefix + "' in '" + key
                        + "' is not a command (one of " + String.join(", ", commands) + ")");
            }
            if (!prefix.equals(command)) {
                continue;
            }
            if (!known.contains(name)) {
                throw new ConfigException(e.getValue().where() + ": synrep " + command + " has no key '" + name + "'"
                        + suggestion(name, known));
            }
            out.put(name, e.getValue());
        }
        return out;
    }

    private static String suggestion(String key, Collection<String> names) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String n : names) {
            int d = distance(key, n);
            if (d < bestDistance) {
                bestDistance = d;
                best = n;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 3) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}

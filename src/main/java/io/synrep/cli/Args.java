package io.synrep.cli;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options of one subcommand: {@code --name value}, {@code --name=value} and boolean
 * {@code --flag}. Unknown options and malformed values are {@link UsageException}s naming the option.
 */
final class Args {
    private final Map<String, String> values = new HashMap<>();
    private final String command;

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param known options the command accepts (without {@code --}); names ending in {@code !} are flags
     */
    static Args parse(String command, List<String> argv, Set<String> known) {
        Args a = new Args(command);
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
            if (a.values.put(name, value) != null) {
                throw new UsageException(command + ": --" + name + " given twice");
            }
        }
        return a;
    }

    String command() {
        return command;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name, String fallback) {
        String v = values.get(name);
        return v == null ? fallback : v;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    long getLong(String name, long fallback, long min, long max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, was '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(command + ": --" + name + " must be between " + min + " and " + max + ", was " + n);
        }
        return n;
    }

    double getDouble(String name, double fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, was '" + v + "'");
        }
    }

    /** Durations as {@code 30s}, {@code 5m}, {@code 2h}, {@code 500ms} or plain seconds. */
    Duration getDuration(String name, Duration fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return parseDuration(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": --" + name + " must be a duration like 30s, 5m, 2h or 500ms, was '" + v + "'");
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

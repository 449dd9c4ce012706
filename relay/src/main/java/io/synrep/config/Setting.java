package io.synrep.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * One setting of a command: its name (the same as {@code --name} on the command line, {@code SYNREP_NAME} in the
 * environment and {@code name} in a configuration file), the type of its value, its default, its bounds, how its text
 * is parsed and what it means. Help texts, {@code synrep config}, docs/configuration.md and the checks of
 * docker/synrep.conf are all made from settings. Immutable and thread-safe.
 *
 * @param <T> the value's type
 */
public final class Setting<T> {
    /**
     * Turns a value's text into a value. A bad text is an {@link IllegalArgumentException} whose message completes a
     * sentence that starts with the key as the user gave it, e.g. {@code must be an integer, was 'lots'}.
     */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String text);
    }

    private final String name;
    private final String label;
    private final Class<T> type;
    private final LongFunction<T> defaults;
    private final String shownDefault;
    private final String bounds;
    private final Parser<T> parser;
    private final Function<T, String> format;
    private final String help;
    private final boolean secret;

    private Setting(String name, String label, Class<T> type, LongFunction<T> defaults, String shownDefault,
                    String bounds, Parser<T> parser, Function<T, String> format, String help, boolean secret) {
        if (!name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("bad key name " + name);
        }
        this.name = name;
        this.label = label;
        this.type = type;
        this.defaults = defaults;
        this.shownDefault = shownDefault;
        this.bounds = bounds;
        this.parser = parser;
        this.format = format;
        this.help = Objects.requireNonNull(help);
        this.secret = secret;
    }

    /**
     * A setting of any type.
     *
     * @param label        how its value looks in help texts ({@code N}, {@code D}, {@code URL})
     * @param defaultValue the value when none is given, or null for none (the command decides, as {@code help} says)
     */
    public static <T> Setting<T> of(String name, String label, Class<T> type, T defaultValue, Parser<T> parser,
                                    Function<T, String> format, String help) {
        return new Setting<>(name, label, type, heap -> defaultValue, null, "", parser, format, help, false);
    }

    /** Text taken as it is; {@code defaultValue} null for none. */
    public static Setting<String> text(String name, String label, String defaultValue, String help) {
        return of(name, label, String.class, defaultValue, t -> t, t -> t, help);
    }

    /** Text that {@code check} accepts (it throws as a {@link Parser} does). */
    public static Setting<String> text(String name, String label, String defaultValue, Parser<String> check,
                                       String help) {
        return of(name, label, String.class, defaultValue, check, t -> t, help);
    }

    /** A file or directory name; {@code defaultValue} null for none. */
    public static Setting<Path> path(String name, String label, Path defaultValue, String help) {
        return of(name, label, Path.class, defaultValue, Setting::parsePath, Path::toString, help);
    }

    /** An integer within {@code min..max}; {@code _} may group digits. */
    public static Setting<Long> integer(String name, long defaultValue, long min, long max, String help) {
        String bounds = max == Long.MAX_VALUE ? ">= " + min : min + ".." + max;
        return new Setting<>(name, "N", Long.class, heap -> defaultValue, null, bounds, t -> parseLong(t, min, max),
                n -> Long.toString(n), help, false);
    }

    /** A decimal number. */
    public static Setting<Double> number(String name, String label, Double defaultValue, String help) {
        return of(name, label, Double.class, defaultValue, Setting::parseDouble, Setting::formatNumber, help);
    }

    /** A duration within {@code min..max} ({@code max} null: no upper bound); see {@link #parseDuration}. */
    public static Setting<Duration> duration(String name, Duration defaultValue, Duration min, Duration max,
                                             String help) {
        String bounds = max == null ? ">= " + formatDuration(min) : formatDuration(min) + ".." + formatDuration(max);
        return new Setting<>(name, "D", Duration.class, heap -> defaultValue, null, bounds,
                t -> parseDuration(t, min, max), Setting::formatDuration, help, false);
    }

    /** A switch: present on the command line means true; {@code true} or {@code false} elsewhere. */
    public static Setting<Boolean> flag(String name, String help) {
        return new Setting<>(name, "", Boolean.class, heap -> false, null, "true, false", Setting::parseBoolean,
                b -> Boolean.toString(b), help, false);
    }

    /** This setting with its value masked wherever configuration is printed or logged. */
    public Setting<T> secret() {
        return new Setting<>(name, label, type, defaults, shownDefault, bounds, parser, format, help, true);
    }

    /** This setting with its default shown as {@code text} (a default the command works out, e.g. {@code DIR/spill}). */
    public Setting<T> shownDefault(String text) {
        return new Setting<>(name, label, type, defaults, text, bounds, parser, format, help, secret);
    }

    /** This setting with a default that depends on the JVM's maximum heap ({@code -Xmx}, in bytes). */
    public Setting<T> heapDefault(LongFunction<T> byMaxHeap) {
        return new Setting<>(name, label, type, byMaxHeap, shownDefault, bounds, parser, format, help, secret);
    }

    /** This setting with the allowed values described as {@code text} in the documentation. */
    public Setting<T> bounds(String text) {
        return new Setting<>(name, label, type, defaults, shownDefault, text, parser, format, help, secret);
    }

    public String name() {
        return name;
    }

    /** How the value looks in help texts; empty for a flag. */
    public String label() {
        return label;
    }

    public Class<T> type() {
        return type;
    }

    public String help() {
        return help;
    }

    public boolean isSecret() {
        return secret;
    }

    public boolean isFlag() {
        return type == Boolean.class;
    }

    /** The allowed values as documented, e.g. {@code 1..1000000}; empty when any value of the type is. */
    public String bounds() {
        return bounds;
    }

    /** The default in a JVM whose maximum heap is {@code maxHeapBytes}, or null when there is none. */
    public T defaultValue(long maxHeapBytes) {
        return defaults.apply(maxHeapBytes);
    }

    /** The default in this JVM, or null. */
    public T defaultValue() {
        return defaultValue(Runtime.getRuntime().maxMemory());
    }

    /** The default as shown to users in a JVM with this maximum heap; empty when there is none. */
    public String defaultText(long maxHeapBytes) {
        if (shownDefault != null) {
            return shownDefault;
        }
        T value = defaultValue(maxHeapBytes);
        return value == null ? "" : format.apply(value);
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException saying what is wrong after the key's name, e.g. {@code must be between 1 and
     *                                  10, was 0}
     */
    public T parse(String text) {
        return parser.parse(text);
    }

    /** The environment variable that sets this key: {@code SYNREP_} and the name in upper case, '-' as '_'. */
    public String envName() {
        return envName(name);
    }

    public static String envName(String name) {
        return "SYNREP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The value as it may be shown: secrets as {@code ****}, passwords inside URLs masked. */
    public String display(String text) {
        if (text == null) {
            return "";
        }
        if (secret) {
            return text.isEmpty() ? "" : "****";
        }
        return maskUrlPassword(text);
    }

    /** Masks {@code password=...} parameters and {@code user:password@} parts of URLs. */
    public static String maskUrlPassword(String v) {
        return v.replaceAll("(?i)(password=)[^&\\s]*", "$1****")
                .replaceAll("(://[^/:@\\s]+:)[^@/\\s]+@", "$1****@");
    }

    @Override
    public String toString() {
        return "--" + name;
    }

    // ---- parsers shared by the tables ----

    static long parseLong(String text, long min, long max) {
        long n;
        try {
            n = Long.parseLong(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be an integer, was '" + text + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max + ", was " + n);
        }
        return n;
    }

    private static Double parseDouble(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a number, was '" + text + "'");
        }
    }

    private static String formatNumber(Double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString(d.longValue()) : d.toString();
    }

    private static Boolean parseBoolean(String text) {
        if (text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("must be true or false, was '" + text + "'");
    }

    private static Path parsePath(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a file name: '" + text + "'");
        }
    }

    private static Duration parseDuration(String text, Duration min, Duration max) {
        Duration d;
        try {
            d = parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be a duration like 30s, 5m, 2h or 500ms, was '" + text + "'");
        }
        if (d.compareTo(min) < 0 || (max != null && d.compareTo(max) > 0)) {
            throw new IllegalArgumentException((max == null && min.equals(Duration.ofMillis(1))
                    ? "must be a positive duration" : "must be between " + formatDuration(min) + " and "
                    + (max == null ? "any length" : formatDuration(max))) + ", was " + text);
        }
        return d;
    }

    /** Durations as {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code 500ms} or plain seconds; not negative. */
    public static Duration parseDuration(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ms")) {
            return notNegative(Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2))));
        }
        char unit = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        String num = Character.isDigit(unit) ? s : s.substring(0, s.length() - 1);
        long n = Long.parseLong(num);
        return notNegative(switch (unit) {
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

    private static Duration notNegative(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative");
        }
        return d;
    }

    /** The shortest text {@link #parseDuration} reads back as {@code d}: {@code 1h}, {@code 30s}, {@code 500ms}. */
    public static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}

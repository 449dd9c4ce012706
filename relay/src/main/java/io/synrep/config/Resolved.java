package io.synrep.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's settings after the command line, the environment and the configuration file were combined: each
 * setting's value (parsed and within its bounds), its text, how the user wrote its key and where it came from.
 * Immutable.
 */
public final class Resolved {
    /**
     * A value's text as given.
     *
     * @param label  the key as the user wrote it: {@code --max-waiting}, {@code SYNREP_MAX_WAITING} or
     *               {@code max-waiting (synrep.conf:12)}
     * @param source {@code command line}, {@code env VAR} or {@code file FILE:LINE}
     */
    public record Given(String text, String label, String source) {}

    private record Value(Object value, Given given) {}

    private final String command;
    private final List<Setting<?>> settings;
    private final Map<Setting<?>, Value> values;
    private final long maxHeapBytes;

    private Resolved(String command, List<Setting<?>> settings, Map<Setting<?>, Value> values, long maxHeapBytes) {
        this.command = command;
        this.settings = settings;
        this.values = values;
        this.maxHeapBytes = maxHeapBytes;
    }

    /**
     * Parses the given texts of {@code settings} ({@code given} by key name); the others take their defaults for a
     * JVM with this maximum heap.
     *
     * @throws ConfigException naming the command and the key as it was given, e.g. {@code serve: SYNREP_MAX_WAITING
     *                         must be between 1 and 1000000, was 0}
     */
    public static Resolved of(String command, List<Setting<?>> settings, Map<String, Given> given, long maxHeapBytes) {
        Map<Setting<?>, Value> values = new HashMap<>();
        for (Setting<?> s : settings) {
            Given g = given.get(s.name());
            if (g == null) {
                continue;
            }
            try {
                values.put(s, new Value(s.parse(g.text()), g));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(command + ": " + g.label() + " " + e.getMessage());
            }
        }
        return new Resolved(command, List.copyOf(settings), values, maxHeapBytes);
    }

    /** The command whose table this is ({@code serve}, {@code worker}, {@code tail}, ...), for messages. */
    public String command() {
        return command;
    }

    public List<Setting<?>> settings() {
        return settings;
    }

    /** The value given, else the default (null when there is none). */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> s) {
        Value v = values.get(s);
        return v != null ? (T) v.value() : s.defaultValue(maxHeapBytes);
    }

    /** Whether a value was given (not the default). */
    public boolean given(Setting<?> s) {
        return values.containsKey(s);
    }

    /** How the user wrote the key, or {@code --name} for a default. */
    public String label(Setting<?> s) {
        Value v = values.get(s);
        return v == null ? "--" + s.name() : v.given().label();
    }

    /** Where the value came from: {@code command line}, {@code env VAR}, {@code file FILE:LINE} or {@code default}. */
    public String source(Setting<?> s) {
        Value v = values.get(s);
        return v == null ? "default" : v.given().source();
    }

    /** The value as text, secrets masked: the text given, else the default as shown to users. */
    public String shown(Setting<?> s) {
        if (s.isFlag()) {
            return Boolean.toString((Boolean) get(s));
        }
        Value v = values.get(s);
        return s.display(v == null ? s.defaultText(maxHeapBytes) : v.given().text());
    }
}

package io.synrep.config;

import java.util.Locale;

/**
 * One configuration key: its name (the same in the file, as {@code --name} on the command line, and as
 * {@code SYNREP_NAME} in the environment), what it holds, its default and its meaning.
 *
 * @param name         lower-case words joined by '-', e.g. {@code retention-rows}
 * @param value        how its value looks, for help texts ({@code N}, {@code D}, {@code URL}); empty for a flag
 * @param defaultValue the default as shown to users; empty when there is none
 * @param doc          what it means, one or two sentences
 * @param secret       whether its value is masked wherever configuration is printed or logged
 */
public record ConfigKey(String name, String value, String defaultValue, String doc, boolean secret) {
    public ConfigKey {
        if (!name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("bad key name " + name);
        }
    }

    static ConfigKey of(String name, String value, String defaultValue, String doc) {
        return new ConfigKey(name, value, defaultValue, doc, false);
    }

    static ConfigKey secret(String name, String value, String doc) {
        return new ConfigKey(name, value, "", doc, true);
    }

    /** A key without a value: present means true. */
    static ConfigKey flag(String name, String doc) {
        return new ConfigKey(name, "", "false", doc, false);
    }

    public boolean isFlag() {
        return value.isEmpty();
    }

    /** The environment variable that sets this key: {@code SYNREP_} and the name in upper case, '-' as '_'. */
    public String envName() {
        return envName(name);
    }

    public static String envName(String name) {
        return "SYNREP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The value as it may be shown: secrets as {@code ****}, passwords inside URLs masked. */
    public String display(String v) {
        if (v == null) {
            return "";
        }
        if (secret) {
            return v.isEmpty() ? "" : "****";
        }
        return maskUrlPassword(v);
    }

    /** Masks {@code password=...} parameters and {@code user:password@} parts of URLs. */
    public static String maskUrlPassword(String v) {
        return v.replaceAll("(?i)(password=)[^&\\s]*", "$1****")
                .replaceAll("(://[^/:@\\s]+:)[^@/\\s]+@", "$1****@");
    }
}

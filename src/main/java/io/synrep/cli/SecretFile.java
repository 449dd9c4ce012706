package io.synrep.cli;

import io.synrep.config.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a command finds a bearer secret without it being on the command line (where {@code ps} would show it): a
 * file named by an option (its content, surrounding whitespace and line ends removed), else an environment variable.
 * The file wins over the variable (command line over environment). Problems are {@link Args.UsageException}s that
 * never quote the secret.
 */
final class SecretFile {
    /** Environment variable: the secret a server requires (relay, worker read API). */
    static final String AUTH_ENV = "SYNREP_AUTH_SECRET";
    /** Environment variable: the secret a reader sends to the relay (worker, tail). */
    static final String RELAY_ENV = "SYNREP_RELAY_SECRET";

    private SecretFile() {}

    /**
     * The secret's text, or null when none is given. {@code option} names a file ({@code auth-secret-file}); without
     * it the secret itself is the key without {@code -file} ({@code auth-secret}: command line, {@code SYNREP_*}
     * environment or configuration file for commands with a key table), else the environment variable {@code env}.
     */
    static String read(String command, Args a, String option, String env) {
        String file = a.get(option, null);
        String secretKey = option.substring(0, option.length() - "-file".length());
        String value;
        String source;
        if (file != null) {
            try {
                value = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                throw new Args.UsageException(command + ": " + a.label(option) + ": cannot read " + file + ": "
                        + e.getClass().getSimpleName());
            }
            source = a.label(option) + " " + file;
        } else if (a.has(secretKey)) {
            value = a.get(secretKey, null).strip();
            source = a.label(secretKey);
        } else {
            value = System.getenv(env);
            if (value == null) {
                return null;
            }
            value = value.strip();
            source = "$" + env;
        }
        try {
            Secret.of(value);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(command + ": " + source + ": " + e.getMessage());
        }
        return value;
    }

    /** As {@link #read}, as the secret a server checks. */
    static Secret required(String command, Args a, String option, String env) {
        String value = read(command, a, option, env);
        return value == null ? null : Secret.of(value);
    }
}

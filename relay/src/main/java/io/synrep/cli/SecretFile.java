package io.synrep.cli;

import io.synrep.config.Resolved;
import io.synrep.config.Secret;
import io.synrep.config.Setting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a command finds a bearer secret without it being on the command line (where {@code ps} would show it): a
 * file named by an option (its content, surrounding whitespace and line ends removed), else an environment variable.
 * The file wins over the variable (command line over environment). Problems are {@link UsageException}s that never
 * quote the secret.
 */
final class SecretFile {
    /** Environment variable: the secret a server requires (relay, worker read API). */
    static final String AUTH_ENV = "SYNREP_AUTH_SECRET";
    /** Environment variable: the secret a reader sends to the relay (worker, tail). */
    static final String RELAY_ENV = "SYNREP_RELAY_SECRET";

    private SecretFile() {}

    /**
     * The secret's text, or null when none is given: the content of the file {@code file} names, else the value of
     * {@code secret} (null for commands without such a key), else the process's environment variable {@code env}.
     */
    static String read(Resolved r, Setting<Path> file, Setting<String> secret, String env) {
        Path path = r.get(file);
        String value;
        String source;
        if (path != null) {
            try {
                value = Files.readString(path, StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                throw new UsageException(r.command() + ": " + r.label(file) + ": cannot read " + path + ": "
                        + e.getClass().getSimpleName());
            }
            source = r.label(file) + " " + path;
        } else if (secret != null && r.given(secret)) {
            value = r.get(secret).strip();
            source = r.label(secret);
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
            throw new UsageException(r.command() + ": " + source + ": " + e.getMessage());
        }
        return value;
    }

    /** As {@link #read}, as the secret a server checks. */
    static Secret required(Resolved r, Setting<Path> file, Setting<String> secret, String env) {
        String value = read(r, file, secret, env);
        return value == null ? null : Secret.of(value);
    }
}

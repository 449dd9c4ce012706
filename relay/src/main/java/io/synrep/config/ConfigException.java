package io.synrep.config;

/** A configuration that cannot be used; the message names the key or file line and what to change. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}

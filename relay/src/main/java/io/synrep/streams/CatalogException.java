package io.synrep.streams;

/** A catalog file that cannot be used; the message names the file, the stream and what to fix. */
public final class CatalogException extends RuntimeException {
    public CatalogException(String message) {
        super(message);
    }
}

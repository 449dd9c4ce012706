package io.synrep.client;

/**
 * A slaved store could not read the shared database (it is unreachable, refused the login, lacks the Synrep schema,
 * or every pooled connection stayed busy). Nothing was cached; the same read may be retried. The message names the
 * likely fix.
 */
public final class StoreException extends RuntimeException {
    StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

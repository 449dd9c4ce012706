package io.synrep.client.synapse;

/**
 * A slaved store could not read the shared database (it is unreachable, refused the login, lacks the Synrep schema,
 * or every pooled connection stayed busy), or will not answer because the relay does not serve a stream that
 * invalidates the read's cache (an answer from that cache could be stale for ever). Nothing was cached; the same
 * read may be retried. The message names the likely fix, or the stream.
 */
public final class StoreException extends RuntimeException {
    StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

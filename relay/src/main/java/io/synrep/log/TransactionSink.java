package io.synrep.log;

/**
 * Where capture hands mapped transactions, in commit order: today the in-memory {@link StreamLog}; a durable log or
 * a message topic would be other kinds.
 *
 * <p>The contract capture relies on: {@link #confirmable()} never exceeds what the sink has really taken, and
 * capture tells the slot nothing past it, so every transaction above it is replayed after a crash. Positions are
 * commit LSNs and only grow. Called by one capture thread; implementations say what else they allow.
 */
public interface TransactionSink {
    /**
     * Takes a committed transaction. One at or below {@link #head()} (a replayed duplicate) is not taken.
     *
     * @return whether it was taken; when false the caller still owns (and frees) its spilled rows
     * @throws RuntimeException when it cannot be taken; capture then stops without confirming anything of its batch
     */
    boolean append(Transaction tx);

    /** Capture has read the WAL up to {@code position} without rows for the sink (a heartbeat, a message). */
    void advance(long position);

    /** The newest position taken or advanced to. */
    long head();

    /** The highest position at or below which the sink needs nothing replayed: what may be confirmed to the slot. */
    long confirmable();
}

package io.synrep.log;

/** A reader's token lies below the retention horizon: it must resync and continue from {@link #earliest()}. */
public final class PositionTooOldException extends RuntimeException {
    private final long earliest;

    public PositionTooOldException(long token, long earliest) {
        super("position " + token + " is older than the oldest retained position " + earliest);
        this.earliest = earliest;
    }

    public long earliest() {
        return earliest;
    }
}

package io.synrep.config;

import java.nio.file.Path;

/**
 * Where the relay keeps what it must remember across restarts, where it starts, and how much WAL it lets the slot
 * hold.
 *
 * @param dataDir    the relay's data directory; the file store keeps {@code state.json} here
 * @param store      {@link Store#FILE} (default) or {@link Store#TABLE} ({@code synrep_state} in the writer's database)
 * @param startLsn   replay from this position instead of the saved state (must be at or after the slot's confirmed
 *                   position), or null
 * @param maxWalHeld most bytes of WAL the slot may hold on the writer; past it the relay drops its oldest retained
 *                   rows (readers behind get 410) so that the slot can advance
 */
public record StateConfig(Path dataDir, Store store, Long startLsn, long maxWalHeld) {
    /** 1 GiB. */
    public static final long DEFAULT_MAX_WAL_HELD = 1L << 30;

    /** Where the state is saved. */
    public enum Store { FILE, TABLE }

    public StateConfig {
        if (store == null) {
            throw new IllegalArgumentException("offset store must be file or table");
        }
        if (store == Store.FILE && dataDir == null) {
            throw new IllegalArgumentException("the file offset store needs a data directory (--data-dir)");
        }
        if (startLsn != null && startLsn < 0) {
            throw new IllegalArgumentException("start-lsn must be a WAL position, was " + startLsn);
        }
        if (maxWalHeld < 1) {
            throw new IllegalArgumentException("max-wal-held must be >= 1 byte, was " + maxWalHeld);
        }
    }

    /** State in {@code state.json} under {@code dataDir}, no replay, the default WAL cap. */
    public static StateConfig inDirectory(Path dataDir) {
        return new StateConfig(dataDir, Store.FILE, null, DEFAULT_MAX_WAL_HELD);
    }

    public StateConfig withStartLsn(Long lsn) {
        return new StateConfig(dataDir, store, lsn, maxWalHeld);
    }

    public StateConfig withMaxWalHeld(long bytes) {
        return new StateConfig(dataDir, store, startLsn, bytes);
    }

    public StateConfig withStore(Store s) {
        return new StateConfig(dataDir, s, startLsn, maxWalHeld);
    }
}

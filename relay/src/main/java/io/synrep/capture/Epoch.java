package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import io.synrep.log.StreamLog;
import io.synrep.streams.Catalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's current epoch, and the check that may start a new one: before capture reconnects
 * ({@link Capture.Reconnect}) the slot is prepared again, and a dropped or foreign-advanced slot starts a new epoch:
 * its state is saved, then the epoch changes, then the log is reset to the slot's position (which wakes parked
 * readers, whose 410 then names the new epoch).
 *
 * <p>{@link #prepare()} runs on capture's supervisor thread; {@link #current()} may be read from any.
 */
public final class Epoch implements Capture.Reconnect {
    private static final Logger LOG = LoggerFactory.getLogger(Epoch.class);

    private final CaptureConfig config;
    private final Catalog catalog;
    private final StateKeeper keeper;
    private final StreamLog log;
    private volatile String current;

    /** @param atStart the epoch {@link SlotSetup#prepare} gave at start */
    public Epoch(CaptureConfig config, Catalog catalog, StateKeeper keeper, StreamLog log, String atStart) {
        this.config = config;
        this.catalog = catalog;
        this.keeper = keeper;
        this.log = log;
        this.current = atStart;
    }

    public String current() {
        return current;
    }

    @Override
    public void prepare() {
        SlotSetup.Prepared p = SlotSetup.prepare(config, catalog, keeper.current(), null, false);
        if (p.newEpoch() || !p.epoch().equals(current)) {
            report(p);
            keeper.replace(p.state());
            current = p.epoch(); // before the reset wakes parked readers, so their 410 names the new epoch
            log.reset(p.head());
        }
    }

    /** Logs what preparing the slot found: at WARN when it starts a new epoch, else at INFO. */
    public static void report(SlotSetup.Prepared p) {
        for (String note : p.notes()) {
            if (p.newEpoch()) {
                LOG.warn("{}", note);
            } else {
                LOG.info("{}", note);
            }
        }
        if (p.newEpoch()) {
            LOG.warn("NEW EPOCH {}: readers holding tokens of the previous WAL history get 410 and must resync",
                    p.epoch());
        }
    }
}

package io.synrep.http;

/**
 * What the relay measures about capture outside its log: the writer's WAL position and the WAL its slot holds.
 * The relay samples these on its ticker (about once a second); reading them never touches the database, so status,
 * health and metrics requests cannot block on the writer. Every figure is in bytes of WAL, or -1 when unknown (not
 * sampled yet, or the writer could not be asked). Implementations are thread-safe.
 */
public interface CaptureFigures {
    /** Figures of a relay that measures nothing (tests of the HTTP layer alone): all unknown. */
    CaptureFigures UNKNOWN = new CaptureFigures() {
        @Override
        public long writerPosition() {
            return -1;
        }

        @Override
        public long captureLag() {
            return -1;
        }

        @Override
        public long walHeld() {
            return -1;
        }

        @Override
        public long walUnconfirmed() {
            return -1;
        }
    };

    /** The writer's WAL insert position at the last sample. */
    long writerPosition();

    /** The writer's WAL position minus the relay's position (its log head), both taken at the last sample; >= 0. */
    long captureLag();

    /** WAL the slot keeps on the writer's disk: the writer's position minus the slot's {@code restart_lsn}. */
    long walHeld();

    /** WAL past the slot's confirmed position ({@code confirmed_flush_lsn}); the relay's WAL cap applies to this. */
    long walUnconfirmed();
}

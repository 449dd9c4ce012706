package io.synrep.capture;

import io.synrep.capture.SlotSetup.SetupException;
import io.synrep.protocol.Position;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where capture starts, decided from what the relay saved and what the slot says: the resume point, the horizon
 * and the epoch (kept, or a new one, and why). Pure: the caller asks the database and acts on the decision
 * ({@link SlotSetup}); every rule is here, and {@code StartPointTest} has one row per rule.
 *
 * <p>The rules, first match wins:
 * <ol>
 *   <li>A saved state of another database system or slot is ignored (a new epoch if nothing below keeps one).
 *   <li>A slot created now while a fitting state was saved was dropped by someone else: the state is ignored.
 *   <li>{@code --start-lsn} must lie in {@code [slot confirmed, writer position]}; capture replays from it (the
 *       slot is advanced to it), serving tokens from it, in the fitting saved state's epoch or else one named by
 *       the slot's confirmed position.
 *   <li>A fitting saved state whose resume point (its offsets, else its horizon) is at or past the slot's confirmed
 *       position is resumed: same epoch, same horizon, same offsets.
 *   <li>Otherwise (the slot was advanced past the saved position by another consumer, or any state was ignored, or
 *       there is none) capture starts at the slot's confirmed position with the epoch named by it.
 * </ol>
 * The epoch is reported as new ({@link Decision#newEpoch}) whenever a saved state was not kept. Without any saved
 * state it is not (README's known gap: a lost state is not flagged, and while the slot was never confirmed past its
 * creation point the epoch's name comes out the same as before).
 */
final class StartPoint {
    private StartPoint() {}

    /**
     * The slot as found, after creating it when it was missing.
     *
     * @param name      the slot's name
     * @param confirmed its confirmed position (for a slot created now: its creation point)
     * @param createdNow whether it was missing and has just been created
     */
    record Slot(String name, long confirmed, boolean createdNow) {}

    /** Why capture starts where it does: one value per rule. */
    enum Reason {
        /** The saved state fits the slot: resumed as it was. */
        RESUMED,
        /** Replaying from {@code --start-lsn}. */
        START_LSN,
        /** No saved state and no slot: the first start. */
        FIRST_START,
        /** No saved state, but a slot: the state was lost (or never saved); started at the slot's position. */
        NO_STATE,
        /** The saved state belongs to another database system or slot. */
        OTHER_HISTORY,
        /** The slot was missing although a fitting state was saved: dropped by someone else, recreated now. */
        SLOT_RECREATED,
        /** Another consumer advanced the slot past the saved position. */
        SLOT_ADVANCED
    }

    /**
     * What capture starts from.
     *
     * @param state         the state to run with: the saved one when resumed, else a new one without offsets
     * @param head          transactions at or below this were already seen (the log's starting head)
     * @param newEpoch      whether a saved state was set aside (readers must resync; logged at WARN)
     * @param reason        the rule that decided
     * @param notes         what was decided and why, for the log
     * @param advanceSlotTo advance the slot to this position before capture starts, or -1
     */
    record Decision(RelayState state, long head, boolean newEpoch, Reason reason, List<String> notes,
                    long advanceSlotTo) {}

    /**
     * @param saved          the relay's saved state, or null
     * @param systemId       the writer's database system identifier
     * @param slot           the slot, after creating it when it was missing
     * @param startLsn       {@code --start-lsn}, or null
     * @param writerPosition the writer's current WAL position; read only with {@code startLsn}
     * @throws SetupException when {@code startLsn} is outside what the slot can replay
     */
    static Decision decide(RelayState saved, String systemId, Slot slot, Long startLsn, long writerPosition) {
        List<String> notes = new ArrayList<>();
        Reason setAside = null;
        RelayState valid = null;
        if (saved != null) {
            if (saved.systemId().equals(systemId) && saved.slot().equals(slot.name())) {
                valid = saved;
            } else {
                setAside = Reason.OTHER_HISTORY;
                notes.add("the saved state belongs to database system " + saved.systemId() + ", slot "
                        + saved.slot() + ", not " + systemId + ", slot " + slot.name() + "; ignoring it");
            }
        }
        if (slot.createdNow()) {
            if (valid != null) {
                setAside = Reason.SLOT_RECREATED;
                notes.add("REPLICATION SLOT " + slot.name() + " WAS DROPPED by someone else and has been recreated at "
                        + Position.formatLsn(slot.confirmed()) + ": transactions committed while it was missing are "
                        + "not in the streams; readers must resync (new epoch)");
            } else {
                notes.add("created replication slot " + slot.name());
            }
            valid = null;
        }
        if (startLsn != null) {
            return replay(startLsn, writerPosition, saved, valid, systemId, slot, notes);
        }
        if (valid != null) {
            long resume = valid.resumePosition() >= 0 ? valid.resumePosition() : valid.horizon();
            if (slot.confirmed() <= resume) {
                notes.add("resuming slot " + slot.name() + " after " + Position.formatLsn(resume) + " (" + resume
                        + "); serving tokens from " + valid.horizon() + "; epoch " + valid.epoch());
                return new Decision(valid, Math.max(valid.horizon(), resume), false, Reason.RESUMED, notes, -1);
            }
            setAside = Reason.SLOT_ADVANCED;
            notes.add("SLOT " + slot.name() + " WAS ADVANCED to " + Position.formatLsn(slot.confirmed())
                    + " past this relay's saved position " + Position.formatLsn(resume)
                    + " by another consumer: transactions in between may be missing; readers must resync (new epoch)");
        } else if (saved == null && !slot.createdNow()) {
            notes.add("no saved relay state: starting from slot " + slot.name() + "'s confirmed position");
        }
        Reason reason = saved != null ? setAside : slot.createdNow() ? Reason.FIRST_START : Reason.NO_STATE;
        RelayState fresh = new RelayState(systemId, slot.name(), epoch(systemId, slot.name(), slot.confirmed()),
                slot.confirmed(), Map.of());
        return new Decision(fresh, slot.confirmed(), saved != null, reason, notes, -1);
    }

    private static Decision replay(long startLsn, long writerPosition, RelayState saved, RelayState valid,
                                   String systemId, Slot slot, List<String> notes) {
        if (startLsn < slot.confirmed()) {
            throw new SetupException("cannot replay from " + Position.formatLsn(startLsn) + " (" + startLsn
                    + "): slot " + slot.name() + " is confirmed up to " + Position.formatLsn(slot.confirmed()) + " ("
                    + slot.confirmed() + ") and PostgreSQL may have removed the WAL before it; choose "
                    + "--start-lsn at or after that position");
        }
        if (startLsn > writerPosition) {
            throw new SetupException("cannot replay from " + Position.formatLsn(startLsn) + " (" + startLsn
                    + "): the writer has only written WAL up to " + Position.formatLsn(writerPosition)
                    + "; choose --start-lsn at or before that position");
        }
        String epoch = valid != null ? valid.epoch() : epoch(systemId, slot.name(), slot.confirmed());
        notes.add("replaying from " + Position.formatLsn(startLsn) + " (" + startLsn + ") as asked by --start-lsn");
        RelayState state = new RelayState(systemId, slot.name(), epoch, startLsn, Map.of());
        return new Decision(state, startLsn, valid == null && saved != null, Reason.START_LSN, notes,
                startLsn > slot.confirmed() ? startLsn : -1);
    }

    /** The WAL history's name: the database system, the slot, and where the slot's history began. */
    static String epoch(String systemId, String slot, long since) {
        return systemId + "-" + slot + "-" + Long.toHexString(since);
    }
}

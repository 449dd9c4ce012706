package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.capture.SlotSetup.SetupException;
import io.synrep.capture.StartPoint.Decision;
import io.synrep.capture.StartPoint.Reason;
import io.synrep.capture.StartPoint.Slot;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The start-point rules (README: Restarts, replay and crash safety; Epochs), one row each. {@code EpochTriggersIT},
 * {@code FaultsIT} and {@code ReplayHorizonIT} drive the same cases end to end against PostgreSQL.
 */
class StartPointTest {
    private static final String SYS = "7001";
    private static final String OTHER_SYS = "7002";
    private static final String SLOT = "synrep";
    /** Where the saved history's slot began, its horizon, and the position its offsets resume after. */
    private static final long BEGAN = 0x100;
    private static final long HORIZON = 0x150;
    private static final long RESUME = 0x180;
    private static final String SAVED_EPOCH = SYS + "-" + SLOT + "-100";
    private static final Map<String, String> OFFSETS =
            Map.of("[\"synrep\",{\"server\":\"synrep\"}]", "{\"lsn\":" + RESUME + ",\"txId\":1}");

    private static final RelayState SAVED = new RelayState(SYS, SLOT, SAVED_EPOCH, HORIZON, OFFSETS);
    private static final RelayState SAVED_NO_OFFSETS = new RelayState(SYS, SLOT, SAVED_EPOCH, HORIZON, Map.of());
    private static final RelayState OTHER_SYSTEM = new RelayState(OTHER_SYS, SLOT, OTHER_SYS + "-synrep-100",
            HORIZON, OFFSETS);
    private static final RelayState OTHER_SLOT = new RelayState(SYS, "other", SYS + "-other-100", HORIZON, OFFSETS);

    /** A row: the inputs, then what must come out. {@code advanceTo} -1: the slot is left where it is. */
    record Row(String rule, RelayState saved, Slot slot, Long startLsn, long writer,
               Reason reason, String epoch, boolean newEpoch, long horizon, long head, boolean keepsSaved,
               long advanceTo, String note) {
        @Override
        public String toString() {
            return rule;
        }
    }

    private static Slot found(long confirmed) {
        return new Slot(SLOT, confirmed, false);
    }

    private static Slot createdAt(long confirmed) {
        return new Slot(SLOT, confirmed, true);
    }

    private static String epochAt(long since) {
        return SYS + "-" + SLOT + "-" + Long.toHexString(since);
    }

    static Stream<Row> rows() {
        return Stream.of(
                // first start: no state, no slot
                new Row("first start: the slot is created, epoch named by its creation point", null, createdAt(0x200),
                        null, -1, Reason.FIRST_START, epochAt(0x200), false, 0x200, 0x200, false, -1,
                        "created replication slot synrep"),
                // restarts
                new Row("restart: the saved state fits the slot, resumed as it was", SAVED, found(RESUME), null, -1,
                        Reason.RESUMED, SAVED_EPOCH, false, HORIZON, RESUME, true, -1,
                        "resuming slot synrep after 0/180 (384); serving tokens from 336; epoch " + SAVED_EPOCH),
                new Row("restart: the slot confirmed behind the saved offsets (not yet told), resumed", SAVED,
                        found(0x160), null, -1, Reason.RESUMED, SAVED_EPOCH, false, HORIZON, RESUME, true, -1,
                        "resuming slot synrep after 0/180"),
                new Row("restart: a state saved before any offsets resumes at its horizon", SAVED_NO_OFFSETS,
                        found(HORIZON), null, -1, Reason.RESUMED, SAVED_EPOCH, false, HORIZON, HORIZON, true, -1,
                        "resuming slot synrep after 0/150 (336)"),
                // the epoch triggers
                new Row("new epoch: the saved state belongs to another database system", OTHER_SYSTEM, found(RESUME),
                        null, -1, Reason.OTHER_HISTORY, epochAt(RESUME), true, RESUME, RESUME, false, -1,
                        "the saved state belongs to database system 7002, slot synrep, not 7001, slot synrep; "
                                + "ignoring it"),
                new Row("new epoch: the saved state belongs to another slot", OTHER_SLOT, found(RESUME), null, -1,
                        Reason.OTHER_HISTORY, epochAt(RESUME), true, RESUME, RESUME, false, -1,
                        "slot other, not 7001, slot synrep; ignoring it"),
                new Row("new epoch: another system's state and no slot (a fresh cluster)", OTHER_SYSTEM,
                        createdAt(0x90), null, -1, Reason.OTHER_HISTORY, epochAt(0x90), true, 0x90, 0x90, false, -1,
                        "created replication slot synrep"),
                new Row("new epoch: the slot was dropped by someone else and is recreated", SAVED, createdAt(0x400),
                        null, -1, Reason.SLOT_RECREATED, epochAt(0x400), true, 0x400, 0x400, false, -1,
                        "REPLICATION SLOT synrep WAS DROPPED by someone else and has been recreated at 0/400"),
                new Row("new epoch: another consumer advanced the slot past the saved position", SAVED,
                        found(0x300), null, -1, Reason.SLOT_ADVANCED, epochAt(0x300), true, 0x300, 0x300, false, -1,
                        "SLOT synrep WAS ADVANCED to 0/300 past this relay's saved position 0/180"),
                new Row("lost state, slot moved past its creation: a new epoch, not flagged (known gap)", null,
                        found(0x300), null, -1, Reason.NO_STATE, epochAt(0x300), false, 0x300, 0x300, false, -1,
                        "no saved relay state: starting from slot synrep's confirmed position"),
                new Row("lost state, slot never confirmed past its creation: the same epoch (known gap)", null,
                        found(BEGAN), null, -1, Reason.NO_STATE, SAVED_EPOCH, false, BEGAN, BEGAN, false, -1,
                        "no saved relay state"),
                // --start-lsn
                new Row("--start-lsn ahead of the slot: advanced to it, the saved epoch kept", SAVED, found(RESUME),
                        0x250L, 0x300, Reason.START_LSN, SAVED_EPOCH, false, 0x250, 0x250, false, 0x250,
                        "replaying from 0/250 (592) as asked by --start-lsn"),
                new Row("--start-lsn at the slot's position: nothing to advance", SAVED, found(RESUME), RESUME,
                        0x300, Reason.START_LSN, SAVED_EPOCH, false, RESUME, RESUME, false, -1, "replaying from 0/180"),
                new Row("--start-lsn at the writer's position: allowed", SAVED, found(RESUME), 0x300L, 0x300,
                        Reason.START_LSN, SAVED_EPOCH, false, 0x300, 0x300, false, 0x300, "replaying from 0/300"),
                new Row("--start-lsn without a saved state: epoch named by the slot's position", null, found(RESUME),
                        0x250L, 0x300, Reason.START_LSN, epochAt(RESUME), false, 0x250, 0x250, false, 0x250,
                        "replaying from 0/250"),
                new Row("--start-lsn with another system's state: a new epoch", OTHER_SYSTEM, found(RESUME), 0x250L,
                        0x300, Reason.START_LSN, epochAt(RESUME), true, 0x250, 0x250, false, 0x250,
                        "ignoring it"),
                new Row("--start-lsn after the slot was recreated: a new epoch named by its creation", SAVED,
                        createdAt(0x400), 0x400L, 0x500, Reason.START_LSN, epochAt(0x400), true, 0x400, 0x400, false,
                        -1, "WAS DROPPED by someone else"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void decides(Row row) {
        Decision d = StartPoint.decide(row.saved(), SYS, row.slot(), row.startLsn(), row.writer());
        assertEquals(row.reason(), d.reason(), "reason");
        assertEquals(row.epoch(), d.state().epoch(), "epoch");
        assertEquals(row.newEpoch(), d.newEpoch(), "new epoch");
        assertEquals(row.horizon(), d.state().horizon(), "horizon");
        assertEquals(row.head(), d.head(), "head");
        assertEquals(row.advanceTo(), d.advanceSlotTo(), "slot advanced to");
        assertEquals(SYS, d.state().systemId(), "the state belongs to this system");
        assertEquals(SLOT, d.state().slot(), "the state belongs to this slot");
        if (row.keepsSaved()) {
            assertSame(row.saved(), d.state(), "the saved state, offsets and all");
        } else {
            // a new start point: Debezium starts from the slot (or the advanced slot), never from old offsets
            assertEquals(Map.of(), d.state().offsets(), "offsets");
            assertEquals(-1, d.state().resumePosition(), "resume position");
        }
        assertTrue(d.notes().stream().anyMatch(n -> n.contains(row.note())),
                () -> "a note containing '" + row.note() + "' in " + d.notes());
    }

    /** {@code --start-lsn} outside {@code [slot confirmed, writer position]}: refused, naming the bound. */
    record Refusal(String rule, RelayState saved, long confirmed, long startLsn, long writer, String message) {
        @Override
        public String toString() {
            return rule;
        }
    }

    static List<Refusal> refusals() {
        return List.of(
                new Refusal("--start-lsn below the slot's confirmed position (its WAL may be gone)", SAVED, RESUME,
                        0x170, 0x300, "cannot replay from 0/170 (368): slot synrep is confirmed up to 0/180 (384) and "
                        + "PostgreSQL may have removed the WAL before it; choose --start-lsn at or after that position"),
                new Refusal("--start-lsn past the writer's WAL", null, RESUME, 0x301, 0x300,
                        "cannot replay from 0/301 (769): the writer has only written WAL up to 0/300; choose "
                                + "--start-lsn at or before that position"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refuses(Refusal row) {
        SetupException e = assertThrows(SetupException.class,
                () -> StartPoint.decide(row.saved(), SYS, found(row.confirmed()), row.startLsn(), row.writer()));
        assertEquals(row.message(), e.getMessage());
    }
}

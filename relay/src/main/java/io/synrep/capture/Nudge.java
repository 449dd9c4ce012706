package io.synrep.capture;

import io.synrep.log.TransactionSink;

/**
 * WAL without commits (VACUUM, checkpoints, index builds) reaches no consumer, so neither heartbeats nor the slot
 * move past it until the next commit. When the sink's head has stood still for a check with such WAL after it, the
 * relay emits a logical decoding message (non-transactional, a few bytes), which capture reads as a position. An
 * idle database with nothing after the head is left alone. A new slot's engine, which has no position until it
 * reads something from the slot ({@link Capture#positioned()}), gets such a message too.
 *
 * <p>Called from one thread (the WAL guard's).
 */
public final class Nudge {
    /** WAL after a head that stood still which is worth a message. */
    public static final long BYTES = 16 * 1024;

    private final Capture capture;
    private final TransactionSink sink;
    private final WriterProbe writer;
    private long lastHeadSeen = -1;

    public Nudge(Capture capture, TransactionSink sink, WriterProbe writer) {
        this.capture = capture;
        this.sink = sink;
        this.writer = writer;
    }

    /** After each sample of the writer's position: emits a message when capture is stuck or unpositioned. */
    public void check(long writerPosition) {
        long head = sink.head();
        boolean streaming = capture.state() == Capture.State.STREAMING;
        boolean stuck = head == lastHeadSeen && writerPosition - head > BYTES && streaming;
        lastHeadSeen = head;
        boolean unpositioned = streaming && !capture.positioned();
        if (stuck || unpositioned) {
            writer.emitMessage();
        }
    }
}

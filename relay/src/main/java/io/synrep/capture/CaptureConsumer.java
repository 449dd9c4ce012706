package io.synrep.capture;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.synrep.log.Transaction;
import io.synrep.log.TransactionSink;
import io.synrep.streams.TransactionMapper;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Debezium's record stream into appends to a {@link TransactionSink} (the log), one transaction at a time.
 *
 * <p>A transaction's changes are mapped as they arrive and appended when its END record (transaction metadata)
 * arrives, stamped with the END record's LSN, which is the commit LSN. Heartbeats between transactions move the
 * head. END records and heartbeats are resume points ({@link Checkpoints}); at the end of each batch the newest
 * one at or below {@link TransactionSink#confirmable()} is marked processed. So Debezium's offsets, and through them the
 * slot, only advance past rows the log no longer retains: after a crash, capture replays every retained row.
 *
 * <p>A batch is handled only once its transactions are visible to new snapshots of the database ({@link
 * VisibilityGate}): the slot may send a commit before PostgreSQL shows it to queries, and a reader at a position
 * must find at least what was committed there.
 *
 * <p>Runs on Debezium's single consumer thread; not thread-safe.
 */
final class CaptureConsumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureConsumer.class);

    private final TransactionSink log;
    private final TransactionMapper<Transaction> mapper;
    private final String transactionTopic;
    private final String heartbeatTopic;
    /**
     * Whether a heartbeat's position can be taken. An engine started without saved offsets gives its heartbeats the
     * writer's WAL position at start ({@code pg_current_wal_lsn()}), not a position read from the slot: transactions
     * committed before that and not streamed yet would then sit below the head and be skipped as already delivered.
     * So without offsets, heartbeats count only once a record read from the slot (a BEGIN, an END or a logical
     * decoding message) has set the engine's position.
     */
    private boolean heartbeatsTrusted;
    private final String messageTopic;
    private final CaptureStats stats;
    private final Checkpoints<RecordChangeEvent<SourceRecord>> checkpoints;
    private final InstantSource clock;
    private final Visibility gate;
    private boolean inTransaction;

    /**
     * Returns once the given transactions (32-bit ids) are visible to new snapshots of the database; {@link
     * VisibilityGate} asks PostgreSQL.
     */
    @FunctionalInterface
    interface Visibility {
        void await(long[] xids) throws InterruptedException;
    }

    CaptureConsumer(TransactionSink log, TransactionMapper<Transaction> mapper, String topicPrefix, String heartbeatTopicPrefix,
                    CaptureStats stats, Checkpoints<RecordChangeEvent<SourceRecord>> checkpoints, InstantSource clock,
                    Visibility gate, boolean resumedFromOffsets) {
        this.log = log;
        this.heartbeatsTrusted = resumedFromOffsets;
        stats.positioned.set(resumedFromOffsets);
        this.mapper = mapper;
        this.transactionTopic = topicPrefix + ".transaction";
        this.heartbeatTopic = heartbeatTopicPrefix + "." + topicPrefix;
        this.messageTopic = topicPrefix + ".message";
        this.stats = stats;
        this.checkpoints = checkpoints;
        this.clock = clock;
        this.gate = gate;
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        // nothing of this batch is published before its transactions are visible to the readers' queries
        gate.await(endedTransactions(records));
        for (RecordChangeEvent<SourceRecord> event : records) {
            SourceRecord r = event.record();
            String topic = r.topic();
            if (topic.equals(transactionTopic)) {
                trust();
                Struct v = (Struct) r.value();
                if ("BEGIN".equals(v.getString("status"))) {
                    if (inTransaction) {
                        LOG.warn("BEGIN while a transaction was open; discarding its partial rows (replay after restart)");
                    }
                    mapper.reset();
                    inTransaction = true;
                } else {
                    long position = lsn(r);
                    Transaction tx = mapper.finish(position);
                    if (log.append(tx)) {
                        stats.transactions.incrementAndGet();
                        stats.rows.addAndGet(tx.rowCount());
                    } else {
                        tx.discard();
                        stats.duplicates.incrementAndGet();
                        LOG.debug("transaction at {} is at or below the head {}: already delivered, skipped",
                                position, log.head());
                    }
                    inTransaction = false;
                    checkpoints.offer(position, event, clock.millis());
                }
            } else if (topic.startsWith(heartbeatTopic) || topic.equals(messageTopic)) {
                // heartbeats, and logical decoding messages (the relay emits one to move past WAL without commits,
                // e.g. after a VACUUM): positions without rows
                stats.heartbeats.incrementAndGet();
                if (topic.equals(messageTopic)) {
                    trust();
                } else if (!heartbeatsTrusted) {
                    stats.untrustedHeartbeats.incrementAndGet();
                    continue;
                }
                if (!inTransaction) {
                    Long position = lsnOrNull(r);
                    if (position != null) {
                        log.advance(position);
                        checkpoints.offer(position, event, clock.millis());
                    }
                }
            } else if (r.value() instanceof Struct v && v.schema().field("source") != null
                    && v.schema().field("op") != null) {
                Struct source = v.getStruct("source");
                String op = v.getString("op");
                if (!inTransaction) {
                    // transaction metadata is always on; a change outside BEGIN/END would have no position
                    throw new IllegalStateException("change of " + source.getString("table")
                            + " outside a transaction (is provide.transaction.metadata on?)");
                }
                mapper.change(source.getString("schema"), source.getString("table"), op.charAt(0),
                        v.getStruct("before"), v.getStruct("after"));
                stats.changes.incrementAndGet();
            } else {
                LOG.debug("ignoring a record on {} that is neither a change, a transaction boundary nor a heartbeat",
                        topic);
            }
        }
        RecordChangeEvent<SourceRecord> resume = checkpoints.take(log.confirmable());
        if (resume != null) {
            committer.markProcessed(resume);
            stats.confirmed.set(checkpoints.marked());
        }
        stats.batches.incrementAndGet();
        committer.markBatchFinished();
    }

    private void trust() {
        if (!heartbeatsTrusted) {
            heartbeatsTrusted = true;
            stats.positioned.set(true);
        }
    }

    /** The ids of the transactions whose END record is in {@code records} (Debezium's id is "xid:lsn"). */
    private long[] endedTransactions(List<RecordChangeEvent<SourceRecord>> records) {
        // most records are changes, not transaction ends: start small (a large transaction's batches have none)
        long[] xids = new long[8];
        int n = 0;
        for (RecordChangeEvent<SourceRecord> event : records) {
            SourceRecord r = event.record();
            if (r.topic().equals(transactionTopic) && r.value() instanceof Struct v
                    && !"BEGIN".equals(v.getString("status"))) {
                String id = v.getString("id");
                int colon = id == null ? -1 : id.indexOf(':');
                if (n == xids.length) {
                    xids = java.util.Arrays.copyOf(xids, n * 2);
                }
                try {
                    xids[n++] = Long.parseLong(colon < 0 ? id : id.substring(0, colon)) & 0xFFFFFFFFL;
                } catch (NumberFormatException e) {
                    throw new IllegalStateException("transaction id '" + id + "' is not xid:lsn", e);
                }
            }
        }
        return java.util.Arrays.copyOf(xids, n);
    }

    private static long lsn(SourceRecord r) {
        Long lsn = lsnOrNull(r);
        if (lsn == null) {
            throw new IllegalStateException("record on " + r.topic() + " has no lsn in its offset: " + r.sourceOffset());
        }
        return lsn;
    }

    private static Long lsnOrNull(SourceRecord r) {
        Map<String, ?> offset = r.sourceOffset();
        Object lsn = offset == null ? null : offset.get("lsn");
        return lsn instanceof Number n ? n.longValue() : null;
    }

    /** Counters the consumer thread increments and anyone may read. */
    static final class CaptureStats {
        final AtomicLong transactions = new AtomicLong();
        final AtomicLong rows = new AtomicLong();
        final AtomicLong changes = new AtomicLong();
        final AtomicLong heartbeats = new AtomicLong();
        /** Heartbeats ignored because nothing read from the slot had given the engine a position yet. */
        final AtomicLong untrustedHeartbeats = new AtomicLong();
        /** False while an engine started without offsets has read nothing from the slot (see heartbeatsTrusted). */
        final java.util.concurrent.atomic.AtomicBoolean positioned = new java.util.concurrent.atomic.AtomicBoolean();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
        /** Changes that lacked a column the catalog reads, once per table schema version and stream. */
        final AtomicLong missingColumns = new AtomicLong();
        /** UPDATE values the WAL did not carry (unchanged TOASTed columns without REPLICA IDENTITY FULL). */
        final AtomicLong unavailable = new AtomicLong();
        /** The position of the newest record marked processed (what the slot is, or soon will be, confirmed to). */
        final AtomicLong confirmed = new AtomicLong(-1);
    }
}

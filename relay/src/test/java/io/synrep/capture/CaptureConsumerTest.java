package io.synrep.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.debezium.config.Configuration;
import io.debezium.data.Envelope;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.pipeline.txmetadata.DefaultTransactionStructMaker;
import io.synrep.config.RetentionConfig;
import io.synrep.log.Page;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.streams.Catalog;
import io.synrep.streams.TransactionMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heart of capture: map, append to the log, and only then mark processed. Records are shaped as Debezium's
 * PostgreSQL connector emits them with transaction metadata on (change envelopes built by Debezium's {@link
 * Envelope}, BEGIN/END values on Debezium's transaction schema, heartbeats), fed to the real mapper and the real
 * {@link StreamLog}. The committer is Debezium's interface, implemented here to record what was marked and what the
 * log held at that moment.
 */
class CaptureConsumerTest {
    private static final String PREFIX = "synrep";
    private static final Schema ROW = SchemaBuilder.struct().name("synrep.public.items.Value")
            .field("id", Schema.INT64_SCHEMA).field("kind", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("txId", Schema.OPTIONAL_INT64_SCHEMA).field("lsn", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final Schema TX = new DefaultTransactionStructMaker(Configuration.empty())
            .getTransactionValueSchema();
    private static final Schema HEARTBEAT = SchemaBuilder.struct().name("io.debezium.connector.common.Heartbeat")
            .field("ts_ms", Schema.INT64_SCHEMA).build();
    private static final RetentionConfig UNBOUNDED =
            new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1));
    /** Keeps only the newest transaction, so that each append lets the slot be confirmed past the one before. */
    private static final RetentionConfig NEWEST_ONLY = new RetentionConfig(1, Long.MAX_VALUE, Duration.ofDays(1));

    @TempDir
    Path dir;
    private Catalog catalog;
    /** What happened, in order: the gate asked, marks (with what the log held then), batch ends. */
    private final List<String> journal = new ArrayList<>();

    @BeforeEach
    void catalog() throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, """
                {"streams": [{"name": "items", "fields": ["id", "kind"], "sources": [{"table": "items"}]},
                             {"name": "notes", "fields": ["id", "kind"], "sources": [{"table": "notes"}]}]}
                """);
        catalog = Catalog.load(file);
    }

    // --- Debezium's records ------------------------------------------------------------------------------------

    private static RecordChangeEvent<SourceRecord> event(String topic, Schema schema, Struct value, long lsn,
                                                         Long xid) {
        Map<String, Object> offset = xid == null ? Map.of("lsn", lsn) : Map.of("lsn", lsn, "txId", xid);
        SourceRecord r = new SourceRecord(Map.of("server", PREFIX), offset, topic, null, null, schema, value);
        return () -> r;
    }

    private static RecordChangeEvent<SourceRecord> begin(long xid, long lsn) {
        Struct v = new Struct(TX).put("status", "BEGIN").put("id", xid + ":" + lsn).put("ts_ms", 0L);
        return event(PREFIX + ".transaction", TX, v, lsn, xid);
    }

    /** The END record: its offset's lsn is the commit LSN. */
    private static RecordChangeEvent<SourceRecord> end(long xid, long lsn, long changes) {
        Struct v = new Struct(TX).put("status", "END").put("id", xid + ":" + lsn).put("event_count", changes)
                .put("ts_ms", 0L);
        return event(PREFIX + ".transaction", TX, v, lsn, xid);
    }

    private static RecordChangeEvent<SourceRecord> insert(String table, long xid, long lsn, long id, String kind) {
        Envelope envelope = Envelope.defineSchema().withName(PREFIX + ".public." + table + ".Envelope")
                .withRecord(ROW).withSource(SOURCE).build();
        Struct source = new Struct(SOURCE).put("schema", "public").put("table", table).put("txId", xid)
                .put("lsn", lsn);
        Struct value = envelope.create(new Struct(ROW).put("id", id).put("kind", kind), source, Instant.EPOCH);
        return event(PREFIX + ".public." + table, envelope.schema(), value, lsn, xid);
    }

    private static RecordChangeEvent<SourceRecord> heartbeat(long lsn) {
        return event(Capture.HEARTBEAT_PREFIX + "." + PREFIX, HEARTBEAT, new Struct(HEARTBEAT).put("ts_ms", 0L),
                lsn, null);
    }

    private static long lsn(RecordChangeEvent<SourceRecord> event) {
        return ((Number) event.record().sourceOffset().get("lsn")).longValue();
    }

    // --- the consumer, its log, gate and committer -------------------------------------------------------------

    private StreamLog log(RetentionConfig retention, long start) {
        StreamLog log = new StreamLog(List.of("items", "notes"), retention, InstantSource.fixed(Instant.EPOCH));
        log.start(start);
        return log;
    }

    private CaptureConsumer consumer(StreamLog log, long resumedAfter) {
        return consumer(log, resumedAfter, true);
    }

    private CaptureConsumer consumer(StreamLog log, long resumedAfter, boolean resumedFromOffsets) {
        TransactionMapper<Transaction> mapper =
                new TransactionMapper<>(catalog, new TransactionBuffer(dir.resolve("spill"), Long.MAX_VALUE));
        return new CaptureConsumer(log, mapper, PREFIX, Capture.HEARTBEAT_PREFIX, new CaptureConsumer.CaptureStats(),
                new Checkpoints<>(resumedAfter, 0, 0, 64), InstantSource.fixed(Instant.EPOCH),
                xids -> journal.add("visible " + Arrays.toString(xids) + " at head " + log.head()),
                resumedFromOffsets);
    }

    /** Debezium's committer, recording each mark with what the log had taken by then. */
    private DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer(StreamLog log) {
        return new DebeziumEngine.RecordCommitter<>() {
            @Override
            public void markProcessed(RecordChangeEvent<SourceRecord> record) {
                journal.add("mark " + lsn(record) + " at head " + log.head() + " with " + log.stats().appendedRows()
                        + " rows appended");
            }

            @Override
            public void markBatchFinished() {
                journal.add("batch finished");
            }

            @Override
            public void markProcessed(RecordChangeEvent<SourceRecord> record, DebeziumEngine.Offsets offsets) {
                throw new AssertionError("capture marks records, not offsets");
            }

            @Override
            public DebeziumEngine.Offsets buildOffsets() {
                throw new AssertionError("capture marks records, not offsets");
            }
        };
    }

    /** {@code stream}'s retained rows as {@code position:tail}, in log order. */
    private static List<String> rows(StreamLog log, String stream) {
        Page page = log.read(Map.of(stream, log.horizon()), Integer.MAX_VALUE).pages().get(stream);
        List<String> out = new ArrayList<>();
        try {
            for (int i = 0; i < page.count(); i++) {
                out.add(page.positionAt(i) + ":" + new String(page.tailAt(i), StandardCharsets.UTF_8));
            }
        } finally {
            page.release();
        }
        return out;
    }

    // --- the tests ---------------------------------------------------------------------------------------------

    @Test
    void aTransactionIsMarkedProcessedOnlyAfterItAndEverythingBeforeItWasAppended() throws Exception {
        StreamLog log = log(NEWEST_ONLY, 0x50);
        CaptureConsumer consumer = consumer(log, 0x50);
        consumer.handleBatch(List.of(
                begin(701, 0x100), insert("items", 701, 0x108, 1, "a"), insert("items", 701, 0x110, 2, "b"),
                end(701, 0x120, 2),
                begin(702, 0x130), insert("items", 702, 0x138, 3, "c"), end(702, 0x140, 1),
                heartbeat(0x150)), committer(log));
        // tx 702 is retained, so the slot may be confirmed up to just below it: tx 701's END, after both appends
        assertEquals(List.of(
                "visible [701, 702] at head 80",
                "mark 288 at head 336 with 3 rows appended",
                "batch finished"), journal);
        assertEquals(List.of("320:,3,\"c\""), rows(log, "items"), "the newest transaction retained whole");
    }

    /**
     * An engine started without offsets (a new slot) stamps its heartbeats with the writer's WAL position at start,
     * which may lie past transactions the slot has not streamed yet (found by RestartFiguresIT: 28 of 200
     * transactions committed while the engine started were skipped as "already delivered").
     */
    @Test
    void withoutOffsetsAHeartbeatBeforeAnythingReadFromTheSlotMovesNothing() throws Exception {
        StreamLog log = log(UNBOUNDED, 0x50);
        CaptureConsumer consumer = consumer(log, -1, false);
        consumer.handleBatch(List.of(
                heartbeat(0x400), // the writer's position when the engine started
                begin(701, 0x100), insert("items", 701, 0x108, 1, "a"), end(701, 0x120, 1),
                heartbeat(0x130), // now a position the engine read from the slot
                begin(702, 0x140), insert("items", 702, 0x148, 2, "b"), end(702, 0x150, 1)), committer(log));
        assertEquals(List.of("288:,1,\"a\"", "336:,2,\"b\""), rows(log, "items"), "no transaction skipped");
        assertEquals(0x150, log.head());

        // resumed from saved offsets, a heartbeat carries the saved position: taken at once
        StreamLog resumed = log(UNBOUNDED, 0x50);
        consumer(resumed, 0x50, true).handleBatch(List.of(heartbeat(0x90)), committer(resumed));
        assertEquals(0x90, resumed.head());
    }

    @Test
    void aFailedAppendMarksNothingOfItsBatch() throws Exception {
        // the log does not know stream notes: appending a transaction with a notes row fails
        StreamLog log = new StreamLog(List.of("items"), NEWEST_ONLY, InstantSource.fixed(Instant.EPOCH));
        log.start(0x50);
        CaptureConsumer consumer = consumer(log, 0x50);
        consumer.handleBatch(List.of(
                begin(701, 0x100), insert("items", 701, 0x108, 1, "a"), end(701, 0x120, 1),
                begin(702, 0x130), insert("items", 702, 0x138, 2, "b"), end(702, 0x140, 1)), committer(log));
        assertEquals(List.of("visible [701, 702] at head 80", "mark 288 at head 320 with 2 rows appended",
                "batch finished"), journal);
        journal.clear();

        // tx 703 is appended and would let tx 702's END be confirmed; tx 704 then fails
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> consumer.handleBatch(List.of(
                begin(703, 0x150), insert("items", 703, 0x158, 3, "c"), end(703, 0x160, 1),
                begin(704, 0x170), insert("notes", 704, 0x178, 4, "d"), end(704, 0x180, 1)), committer(log)));
        assertEquals("unknown stream notes", e.getMessage());
        assertEquals(List.of("visible [703, 704] at head 320"), journal, "no mark, no batch end");
        assertEquals(0x160, log.head(), "tx 704 not taken");
    }

    @Test
    void rowsKeepWalOrderAndTakeTheirCommitPositionAcrossBatches() throws Exception {
        StreamLog log = log(UNBOUNDED, 0x50);
        CaptureConsumer consumer = consumer(log, 0x50);
        consumer.handleBatch(List.of(
                begin(701, 0x100), insert("items", 701, 0x108, 2, "b"), insert("notes", 701, 0x110, 9, "n"),
                insert("items", 701, 0x118, 1, "a"), end(701, 0x120, 3),
                // a transaction's changes may span batches: nothing of 702 is appended before its END
                begin(702, 0x130), insert("items", 702, 0x138, 3, "c")), committer(log));
        assertEquals(0x120, log.head());
        consumer.handleBatch(List.of(
                heartbeat(0x139), // inside a transaction: no position
                insert("items", 702, 0x140, 4, "d"), end(702, 0x150, 2),
                heartbeat(0x160),
                begin(703, 0x170), insert("items", 703, 0x178, 5, "e"),
                // the transaction starts again from its BEGIN (as after an engine restart): the partial rows go
                begin(703, 0x170), insert("items", 703, 0x178, 5, "e"), end(703, 0x180, 1)), committer(log));
        // a reconnected capture replays from the slot: a transaction at or below the head is skipped
        consumer(log, 0x50).handleBatch(List.of(
                begin(702, 0x130), insert("items", 702, 0x138, 3, "c"), insert("items", 702, 0x140, 4, "d"),
                end(702, 0x150, 2)), committer(log));
        assertEquals(List.of(
                "288:,2,\"b\"", "288:,1,\"a\"",
                "336:,3,\"c\"", "336:,4,\"d\"",
                "384:,5,\"e\""), rows(log, "items"));
        assertEquals(List.of("288:,9,\"n\""), rows(log, "notes"));
        assertEquals(0x180, log.head());
        // unbounded retention keeps every row: nothing may be confirmed yet, whatever was read
        assertEquals(List.of(
                "visible [701] at head 80", "batch finished",
                "visible [702, 703] at head 288", "batch finished",
                "visible [702] at head 384", "batch finished"), journal);
    }
}

package io.synrep.streams;

import io.synrep.protocol.RowEncoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Maps one transaction's changes to stream rows by the catalog. Feed changes in WAL order with
 * {@link #change}, then {@link #finish} with the transaction's commit position.
 *
 * <p>Rows of streams without joins are encoded as they arrive (the buffer holds bytes, not change objects);
 * rows of streams with joins wait for the end of the transaction, when every joined row has been seen.
 * Pure: no I/O, no threads (the rows go to a {@link TransactionRows} given by the caller, which may spill them).
 * Not thread-safe: one instance per capture thread.
 *
 * @param <T> what the rows' holder seals a finished transaction as
 */
public final class TransactionMapper<T> {
    /**
     * Told when an UPDATE's new row lacks a value the WAL did not carry (an unchanged TOASTed column of a table
     * whose replica identity is not FULL); the field is streamed as null, and a {@code where} condition on it sees
     * NULL. Called on the mapping thread.
     */
    @FunctionalInterface
    public interface UnavailableListener {
        UnavailableListener NONE = (schema, table, column) -> {};

        void unavailable(String schema, String table, String column);
    }

    /**
     * Told, once per table schema version, when a change lacks a column the catalog reads: the column was dropped or
     * renamed while streaming, and the stream's field is null (or, for a {@code where} column, the rows are filtered
     * out) until the catalog follows. Called on the mapping thread.
     */
    @FunctionalInterface
    public interface Drift {
        Drift NONE = (stream, table, column) -> {};

        void missingColumn(String stream, String table, String column);
    }

    private final Map<String, TableRoutes> routes = new HashMap<>();
    private final UnavailableListener unavailable;
    private final RowEncoder encoder = new RowEncoder();
    private final TransactionRows<T> buffer;
    /** The joins of each stream with joins, in catalog order. */
    private final Map<String, List<JoinRoute>> joinsOfStream = new HashMap<>();
    /** By join slot (compared by identity): the transaction's joined rows by key, their value columns encoded. */
    private final Map<JoinSlot, Map<String, byte[][]>> joined = new java.util.IdentityHashMap<>();
    private int changes;

    /** Routes of one table: the sources and joins it feeds. */
    private static final class TableRoutes {
        final List<SourceRoute> sources = new ArrayList<>();
        final List<JoinRoute> joins = new ArrayList<>();
    }

    /**
     * What joined rows are kept under: streams with equal joins whose values encode alike (events and backfill) share
     * one slot, and so one copy of the rows. Interned when the mapper is built.
     */
    private record JoinSlot(StreamRule.Join join, List<Boolean> json) {}

    private static final class JoinRoute {
        final JoinSlot slot;
        /** The stream's field index of each match field and of each field the join fills. */
        final int[] matchFields;
        final int[] valueFields;
        final String[] matchColumns;
        final String[] valueColumns;
        /** By value column: whether the field it fills is a JSON field. */
        final boolean[] jsonValue;
        final ColumnLookup matchLookup;
        final ColumnLookup valueLookup;

        JoinRoute(StreamRule rule, StreamRule.Join join, Drift drift, Map<JoinSlot, JoinSlot> slots) {
            this.matchColumns = join.match().keySet().toArray(String[]::new);
            this.valueColumns = join.columns().values().toArray(String[]::new);
            this.matchFields = join.match().values().stream().mapToInt(rule.fields()::indexOf).toArray();
            this.valueFields = join.columns().keySet().stream().mapToInt(rule.fields()::indexOf).toArray();
            this.jsonValue = new boolean[valueColumns.length];
            List<Boolean> json = new ArrayList<>();
            for (String field : join.columns().keySet()) {
                jsonValue[json.size()] = rule.json().contains(field);
                json.add(jsonValue[json.size()]);
            }
            JoinSlot candidate = new JoinSlot(join, List.copyOf(json));
            this.slot = slots.computeIfAbsent(candidate, k -> candidate);
            String table = join.schema() + "." + join.table();
            this.matchLookup = new ColumnLookup(matchColumns, c -> drift.missingColumn(rule.name(), table, c));
            this.valueLookup = new ColumnLookup(valueColumns, c -> drift.missingColumn(rule.name(), table, c));
        }
    }

    /** The table of the UPDATE being mapped, for reporting unavailable values. */
    private final class Update implements java.util.function.Consumer<String> {
        String schema;
        String table;

        @Override
        public void accept(String column) {
            TransactionMapper.this.unavailable.unavailable(schema, table, column);
        }
    }

    private final Update update = new Update();
    /** Tables ({@code schema.table}) whose DELETEs carry only these columns of the old row. */
    private Map<String, java.util.Set<String>> identityColumns = Map.of();

    /** @param buffer holds the current transaction's rows (and spills a large one to disk); drift is not reported */
    public TransactionMapper(Catalog catalog, TransactionRows<T> buffer) {
        this(catalog, buffer, Drift.NONE);
    }

    /**
     * @param buffer holds the current transaction's rows (and spills a large one to disk)
     * @param drift  told when a change lacks a column the catalog reads
     */
    public TransactionMapper(Catalog catalog, TransactionRows<T> buffer, Drift drift) {
        this(catalog, buffer, drift, UnavailableListener.NONE);
    }

    /**
     * @param buffer      holds the current transaction's rows (and spills a large one to disk)
     * @param drift       told when a change lacks a column the catalog reads
     * @param unavailable told of every UPDATE value the WAL did not carry
     */
    public TransactionMapper(Catalog catalog, TransactionRows<T> buffer, Drift drift,
                             UnavailableListener unavailable) {
        this.buffer = buffer;
        this.unavailable = unavailable;
        Map<JoinSlot, JoinSlot> slots = new HashMap<>();
        for (StreamRule rule : catalog.rules().values()) {
            for (StreamRule.Source s : rule.sources()) {
                routes.computeIfAbsent(s.schema() + "." + s.table(), k -> new TableRoutes()).sources
                        .add(new SourceRoute(rule, s, drift));
            }
            for (StreamRule.Join j : rule.joins()) {
                JoinRoute route = new JoinRoute(rule, j, drift, slots);
                routes.computeIfAbsent(j.schema() + "." + j.table(), k -> new TableRoutes()).joins.add(route);
                joinsOfStream.computeIfAbsent(rule.name(), k -> new ArrayList<>()).add(route);
            }
        }
    }

    /**
     * One row change of the current transaction.
     *
     * @param op     {@code c} insert, {@code u} update, {@code d} delete ({@code r} snapshot reads count as inserts)
     * @param before the old row (deletes; updates under REPLICA IDENTITY FULL), may be null
     * @param after  the new row (inserts, updates), null for deletes
     */
    public void change(String schema, String table, char op, Struct before, Struct after) {
        TableRoutes r = routes.get(schema + "." + table);
        if (r == null) {
            return;
        }
        changes++;
        StreamRule.Operation operation = switch (op) {
            case 'c', 'r' -> StreamRule.Operation.INSERT;
            case 'u' -> StreamRule.Operation.UPDATE;
            case 'd' -> StreamRule.Operation.DELETE;
            default -> null;
        };
        if (operation == null) {
            return;
        }
        Struct row = operation == StreamRule.Operation.DELETE ? before : after;
        if (row == null) {
            return;
        }
        java.util.Set<String> carried = operation == StreamRule.Operation.DELETE && !identityColumns.isEmpty()
                ? identityColumns.get(schema + "." + table) : null;
        Update screen = null;
        if (operation == StreamRule.Operation.UPDATE) {
            // only an UPDATE's new row can hold Debezium's placeholder for an unchanged TOASTed value
            update.schema = schema;
            update.table = table;
            screen = update;
        }
        for (SourceRoute s : r.sources) {
            if (!s.source.operations().contains(operation)) {
                continue;
            }
            if (!s.passes(row, screen, carried)) {
                continue;
            }
            if (operation == StreamRule.Operation.UPDATE && !s.source.updateWhenChanged().isEmpty()
                    && !changed(s.source.updateWhenChanged(), schema + "." + table, before, after)) {
                continue;
            }
            Object[] values = s.values(row, screen, carried);
            if (s.rule.joins().isEmpty()) {
                buffer.add(s.rule.name(), encoder.encodeTail(values));
            } else {
                byte[][] fields = new byte[values.length][];
                for (int i = 0; i < values.length; i++) {
                    // fields the source does not supply stay null until a joined row fills them
                    fields[i] = s.supplies(i) ? encoder.encodeValue(values[i]) : null;
                }
                buffer.addPending(s.rule.name(), fields);
            }
        }
        if (operation != StreamRule.Operation.DELETE) {
            for (JoinRoute j : r.joins) {
                Object[] match = j.matchLookup.values(row, null);
                byte[][] keyParts = new byte[match.length][];
                for (int i = 0; i < match.length; i++) {
                    keyParts[i] = encoder.encodeValue(match[i]);
                }
                Object[] vals = j.valueLookup.values(row, screen);
                byte[][] encodedVals = new byte[vals.length][];
                for (int i = 0; i < vals.length; i++) {
                    encodedVals[i] = encoder.encodeValue(j.jsonValue[i] ? JsonText.embed(vals[i]) : vals[i]);
                }
                String key = key(keyParts);
                if (key != null) {
                    joined.computeIfAbsent(j.slot, k -> new HashMap<>()).put(key, encodedVals);
                }
            }
        }
    }

    /**
     * Whether an UPDATE changed one of {@code columns}, or may have: pgoutput sends the old row whole for a FULL
     * identity, only the identity's columns when they changed otherwise, and nothing when they did not.
     */
    private boolean changed(List<String> columns, String table, Struct before, Struct after) {
        Set<String> identity = identityColumns.get(table); // null: FULL, or not known
        for (String column : columns) {
            Field now = after.schema().field(column);
            if (now == null) {
                return true;
            }
            boolean keyed = identity != null && identity.contains(column);
            if (before == null) {
                if (!keyed) {
                    return true; // the WAL cannot say: keep the row
                }
                continue; // an identity column without an old key: unchanged
            }
            Field then = before.schema().field(column);
            if (then == null || (identity != null && !keyed)) {
                return true;
            }
            if (!java.util.Objects.equals(before.get(then), after.get(now))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Declares the tables whose replica identity is not FULL: in their DELETEs the WAL's old row holds only the
     * identity columns, and Debezium fills the others with null or, for a NOT NULL column, its type's zero value.
     * Stream fields from other columns of such a DELETE are null, never those made-up values.
     *
     * @param identityColumns {@code schema.table} to the columns its DELETEs carry (none for REPLICA IDENTITY NOTHING)
     */
    public void deletesCarryOnly(Map<String, java.util.Set<String>> identityColumns) {
        this.identityColumns = Map.copyOf(identityColumns);
    }

    /** Whether any change of a catalog table was seen since the last finish. */
    public boolean hasChanges() {
        return changes > 0;
    }

    /** Completes the transaction: fills joined fields, encodes, and resets for the next one. */
    public T finish(long position) {
        for (String stream : buffer.pendingStreams()) {
            List<JoinRoute> joins = joinsOfStream.get(stream);
            buffer.forEachPending(stream, fields -> buffer.add(stream, joinedTail(joins, fields)));
        }
        T tx = buffer.finish(position);
        joined.clear();
        changes = 0;
        return tx;
    }

    /** Drops the current transaction's state (a transaction abandoned on restart). */
    public void reset() {
        buffer.reset();
        joined.clear();
        changes = 0;
    }

    private byte[] joinedTail(List<JoinRoute> joins, byte[][] fields) {
        for (JoinRoute j : joins) {
            Map<String, byte[][]> rows = joined.get(j.slot);
            if (rows == null) {
                continue;
            }
            byte[][] keyParts = new byte[j.matchFields.length][];
            for (int k = 0; k < keyParts.length; k++) {
                keyParts[k] = fields[j.matchFields[k]];
            }
            String key = key(keyParts);
            byte[][] found = key == null ? null : rows.get(key);
            if (found == null) {
                continue;
            }
            for (int c = 0; c < found.length; c++) {
                fields[j.valueFields[c]] = found[c];
            }
        }
        return RowEncoder.joinTail(fields);
    }

    /**
     * Join keys compare by their JSON encoding, so an int and a bigint of the same value match. A key with a SQL
     * NULL part is null and matches nothing, as in SQL.
     */
    private static String key(byte[][] parts) {
        StringBuilder sb = parts.length == 1 ? null : new StringBuilder();
        for (byte[] p : parts) {
            if (p == null || RowEncoder.isNull(p)) {
                return null;
            }
            if (sb == null) {
                return new String(p, java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            sb.append(new String(p, java.nio.charset.StandardCharsets.ISO_8859_1)).append('\u0000');
        }
        return sb.toString();
    }
}

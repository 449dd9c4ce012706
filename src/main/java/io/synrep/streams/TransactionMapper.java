package io.synrep.streams;

import io.synrep.log.Transaction;
import io.synrep.protocol.RawJson;
import io.synrep.protocol.RowEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Maps one transaction's changes to stream rows by the catalog. Feed changes in WAL order with
 * {@link #change}, then {@link #finish} with the transaction's commit position.
 *
 * <p>Rows of streams without joins are encoded as they arrive (the buffer holds bytes, not change objects);
 * rows of streams with joins wait for the end of the transaction, when every joined row has been seen.
 * Pure: no I/O, no threads. Not thread-safe: one instance per capture thread.
 */
public final class TransactionMapper {
    static final String JSON_SCHEMA = "io.debezium.data.Json";

    private final Map<String, TableRoutes> routes = new HashMap<>();
    private final RowEncoder encoder = new RowEncoder();
    private final Map<String, List<byte[]>> encoded = new LinkedHashMap<>();
    private final Map<StreamRule, List<Object[]>> pending = new LinkedHashMap<>();
    private final Map<StreamRule.Join, Map<Object, Object[]>> joined = new HashMap<>();
    private int changes;

    /** Routes of one table: the sources and joins it feeds. */
    private static final class TableRoutes {
        final List<SourceRoute> sources = new ArrayList<>();
        final List<JoinRoute> joins = new ArrayList<>();
    }

    private static final class SourceRoute {
        final StreamRule rule;
        final StreamRule.Source source;
        final String[] columnOfField;
        final ColumnLookup lookup;

        SourceRoute(StreamRule rule, StreamRule.Source source) {
            this.rule = rule;
            this.source = source;
            this.columnOfField = new String[rule.fields().size()];
            for (int i = 0; i < columnOfField.length; i++) {
                columnOfField[i] = source.columns().get(rule.fields().get(i));
            }
            this.lookup = new ColumnLookup(columnOfField);
        }
    }

    private static final class JoinRoute {
        final StreamRule.Join join;
        final String[] matchColumns;
        final String[] valueColumns;
        final ColumnLookup matchLookup;
        final ColumnLookup valueLookup;

        JoinRoute(StreamRule.Join join) {
            this.join = join;
            this.matchColumns = join.match().keySet().toArray(String[]::new);
            this.valueColumns = join.columns().values().toArray(String[]::new);
            this.matchLookup = new ColumnLookup(matchColumns);
            this.valueLookup = new ColumnLookup(valueColumns);
        }
    }

    /** Resolves column names to Connect fields once per table schema version. */
    private static final class ColumnLookup {
        private final String[] columns;
        private Schema schema;
        private Field[] fields;

        ColumnLookup(String[] columns) {
            this.columns = columns;
        }

        Object[] values(Struct row) {
            Schema s = row.schema();
            if (s != schema) {
                Field[] f = new Field[columns.length];
                for (int i = 0; i < columns.length; i++) {
                    f[i] = columns[i] == null ? null : s.field(columns[i]);
                }
                fields = f;
                schema = s;
            }
            Object[] out = new Object[columns.length];
            for (int i = 0; i < columns.length; i++) {
                Field f = fields[i];
                if (f != null) {
                    out[i] = convert(f, row.get(f));
                }
            }
            return out;
        }

        Object value(Struct row, String column) {
            Field f = row.schema().field(column);
            return f == null ? null : row.get(f);
        }
    }

    public TransactionMapper(Catalog catalog) {
        for (StreamRule rule : catalog.rules().values()) {
            for (StreamRule.Source s : rule.sources()) {
                routes.computeIfAbsent(s.schema() + "." + s.table(), k -> new TableRoutes()).sources
                        .add(new SourceRoute(rule, s));
            }
            for (StreamRule.Join j : rule.joins()) {
                routes.computeIfAbsent(j.schema() + "." + j.table(), k -> new TableRoutes()).joins
                        .add(new JoinRoute(j));
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
        for (SourceRoute s : r.sources) {
            if (!s.source.operations().contains(operation)) {
                continue;
            }
            StreamRule.Filter filter = s.source.where();
            if (filter != null && !filter.test(s.lookup.value(row, filter.column()))) {
                continue;
            }
            Object[] values = s.lookup.values(row);
            if (s.rule.joins().isEmpty()) {
                encoded.computeIfAbsent(s.rule.name(), k -> new ArrayList<>()).add(encoder.encodeTail(values));
            } else {
                pending.computeIfAbsent(s.rule, k -> new ArrayList<>()).add(values);
            }
        }
        if (operation != StreamRule.Operation.DELETE) {
            for (JoinRoute j : r.joins) {
                Object key = key(j.matchLookup.values(row));
                joined.computeIfAbsent(j.join, k -> new HashMap<>()).put(key, j.valueLookup.values(row));
            }
        }
    }

    /** Whether any change of a catalog table was seen since the last finish. */
    public boolean hasChanges() {
        return changes > 0;
    }

    /** Completes the transaction: fills joined fields, encodes, and resets for the next one. */
    public Transaction finish(long position) {
        for (Map.Entry<StreamRule, List<Object[]>> e : pending.entrySet()) {
            StreamRule rule = e.getKey();
            List<byte[]> out = encoded.computeIfAbsent(rule.name(), k -> new ArrayList<>());
            for (Object[] values : e.getValue()) {
                fillJoins(rule, values);
                out.add(encoder.encodeTail(values));
            }
        }
        Transaction tx = new Transaction(position, new LinkedHashMap<>(encoded));
        reset();
        return tx;
    }

    /** Drops the current transaction's state (after finish, or when a transaction is abandoned on restart). */
    public void reset() {
        encoded.clear();
        pending.clear();
        joined.clear();
        changes = 0;
    }

    private void fillJoins(StreamRule rule, Object[] values) {
        List<String> fields = rule.fields();
        for (StreamRule.Join j : rule.joins()) {
            Map<Object, Object[]> rows = joined.get(j);
            if (rows == null) {
                continue;
            }
            Object[] keyParts = new Object[j.match().size()];
            int k = 0;
            for (String field : j.match().values()) {
                keyParts[k++] = values[fields.indexOf(field)];
            }
            Object[] found = rows.get(key(keyParts));
            if (found == null) {
                continue;
            }
            int c = 0;
            for (String field : j.columns().keySet()) {
                values[fields.indexOf(field)] = found[c++];
            }
        }
    }

    private static Object key(Object[] parts) {
        return parts.length == 1 ? normalize(parts[0]) : Arrays.asList(parts);
    }

    private static Object normalize(Object o) {
        return o instanceof RawJson j ? j.json() : o;
    }

    static Object convert(Field f, Object v) {
        if (v == null) {
            return null;
        }
        String name = f.schema().name();
        if (name != null && name.equals(JSON_SCHEMA) && v instanceof String s) {
            return new RawJson(s);
        }
        return v;
    }
}

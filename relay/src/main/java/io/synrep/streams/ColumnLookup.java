package io.synrep.streams;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Resolves column names to Connect fields once per table schema version (Debezium builds a new schema when a
 * Relation message shows the table changed), and reports the columns a new version lacks, once per version. Rows
 * are then read by field, with no name lookups. Not thread-safe: owned by one {@link TransactionMapper}.
 */
final class ColumnLookup {
    private final String[] columns;
    private final Consumer<String> onMissing;
    private Schema schema;
    private Field[] fields;
    private ColumnJson[] representations;
    /** By column: whether it is a {@code numeric} whose values Debezium hands over as text. */
    private boolean[] numericText;

    /** @param columns the columns to read (null entries are skipped); filter columns follow the fields' */
    ColumnLookup(String[] columns, Consumer<String> onMissing) {
        this.columns = columns;
        this.onMissing = onMissing;
    }

    /**
     * The values of the first {@code width} columns, for a row of any schema version, in their documented
     * representation ({@link ColumnJson}). With {@code unavailable} set (an UPDATE's new row), Debezium's
     * placeholders for values the WAL did not carry become null and are reported to it.
     */
    Object[] values(Struct row, int width, Consumer<String> unavailable) {
        resolve(row.schema());
        Object[] out = new Object[width];
        for (int i = 0; i < width; i++) {
            Field f = fields[i];
            if (f != null) {
                Object v = row.get(f);
                if (unavailable != null && v != null && UnavailableValue.is(v)) {
                    unavailable.accept(columns[i]);
                    v = null;
                }
                out[i] = representations[i].apply(v);
            }
        }
        return out;
    }

    Object[] values(Struct row, Consumer<String> unavailable) {
        return values(row, columns.length, unavailable);
    }

    /** Whether the resolved schema version has column {@code i}. */
    boolean has(int i) {
        return fields[i] != null;
    }

    /**
     * Column {@code i}'s value as a {@link Filter} compares it: as Debezium hands it over, except that the text of
     * a {@code numeric} (capture asks for decimals as text) becomes a {@link BigDecimal}, or a double for
     * NaN and the infinities. With {@code unavailable} set, a value the WAL did not carry is reported and is null.
     * The resolved schema version must have the column ({@link #has}).
     */
    Object comparable(Struct row, int i, Consumer<String> unavailable) {
        Object v = row.get(fields[i]);
        if (unavailable != null && v != null && UnavailableValue.is(v)) {
            unavailable.accept(columns[i]);
            return null;
        }
        if (numericText[i] && v instanceof String s) {
            return switch (s) {
                case "NAN" -> Double.NaN;
                case "POSITIVE_INFINITY" -> Double.POSITIVE_INFINITY;
                case "NEGATIVE_INFINITY" -> Double.NEGATIVE_INFINITY;
                default -> decimal(s);
            };
        }
        return v;
    }

    private static Object decimal(String s) {
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            return s; // not a number after all: compares as text, so no numeric filter holds
        }
    }

    /** Resolves the schema's fields; a version lacking a column is reported once. */
    void resolve(Schema s) {
        if (s == schema) {
            return;
        }
        Field[] f = new Field[columns.length];
        ColumnJson[] r = new ColumnJson[columns.length];
        boolean[] n = new boolean[columns.length];
        Set<String> reported = new HashSet<>();
        for (int i = 0; i < columns.length; i++) {
            f[i] = columns[i] == null ? null : s.field(columns[i]);
            if (columns[i] != null && f[i] == null && reported.add(columns[i])) {
                onMissing.accept(columns[i]);
            }
            r[i] = f[i] == null ? null : ColumnJson.of(f[i].schema());
            n[i] = f[i] != null && ColumnJson.isNumeric(f[i].schema());
        }
        fields = f;
        representations = r;
        numericText = n;
        schema = s;
    }
}

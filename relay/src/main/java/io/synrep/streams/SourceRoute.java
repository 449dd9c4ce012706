package io.synrep.streams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.connect.data.Struct;

/**
 * One source of one stream, resolved for mapping: which field reads which column, which fields are constants or
 * JSON, and the source's filters, with every column (fields' and filters') read through one {@link ColumnLookup}.
 * Not thread-safe: owned by one {@link TransactionMapper}.
 */
final class SourceRoute {
    final StreamRule rule;
    final StreamRule.Source source;
    /** By field: the column it reads, or null (a constant, or a field only a join fills). */
    private final String[] columnOfField;
    /** By field: whether the source supplies it (a column or a constant); the others wait for a join. */
    private final boolean[] supplied;
    /** The fields with a constant, and their values (JSON text of a JSON field already embedded). */
    private final int[] constantFields;
    private final Object[] constantValues;
    /** The JSON fields the source reads from columns. */
    private final int[] jsonFields;
    /** Filter k reads lookup column {@code fields + k}. */
    private final Filter[] filters;
    private final ColumnLookup lookup;

    SourceRoute(StreamRule rule, StreamRule.Source source, TransactionMapper.Drift drift) {
        this.rule = rule;
        this.source = source;
        int width = rule.fields().size();
        this.columnOfField = new String[width];
        this.supplied = new boolean[width];
        this.constantFields = new int[source.constants().size()];
        this.constantValues = new Object[constantFields.length];
        int c = 0;
        List<Integer> json = new ArrayList<>();
        for (int i = 0; i < width; i++) {
            String field = rule.fields().get(i);
            columnOfField[i] = source.columns().get(field);
            boolean isJson = rule.json().contains(field);
            if (source.constants().containsKey(field)) {
                Object v = source.constants().get(field);
                constantFields[c] = i;
                constantValues[c++] = isJson ? JsonText.embed(v) : v;
            } else if (isJson && columnOfField[i] != null) {
                json.add(i);
            }
            supplied[i] = columnOfField[i] != null || source.constants().containsKey(field);
        }
        this.jsonFields = json.stream().mapToInt(Integer::intValue).toArray();
        this.filters = source.where().toArray(Filter[]::new);
        String[] read = Arrays.copyOf(columnOfField, width + filters.length);
        for (int k = 0; k < filters.length; k++) {
            read[width + k] = filters[k].column();
        }
        String table = source.schema() + "." + source.table();
        this.lookup = new ColumnLookup(read, column -> drift.missingColumn(rule.name(), table, column));
    }

    /**
     * Whether the row passes every filter. A column the row's schema version lacks fails (the rows are filtered out
     * until the catalog follows, as {@link TransactionMapper.Drift} says); a value the WAL did not carry (reported to
     * {@code unavailable}, when set) or that a DELETE's old row does not carry (not in {@code carried}, when set)
     * counts as NULL.
     */
    boolean passes(Struct row, Consumer<String> unavailable, Set<String> carried) {
        if (filters.length == 0) {
            return true;
        }
        lookup.resolve(row.schema());
        int width = columnOfField.length;
        for (int k = 0; k < filters.length; k++) {
            if (!lookup.has(width + k)) {
                return false;
            }
            Object v = carried != null && !carried.contains(filters[k].column()) ? null
                    : lookup.comparable(row, width + k, unavailable);
            if (!filters[k].test(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The row's field values, ready to encode: columns in their representation ({@link ColumnJson}), JSON text of
     * JSON fields embedded, constants; null for a field only a join fills, a column the schema version lacks, a value
     * the WAL did not carry (reported to {@code unavailable}, when set) and a column a DELETE's old row does not
     * carry (not in {@code carried}, when set).
     */
    Object[] values(Struct row, Consumer<String> unavailable, Set<String> carried) {
        Object[] values = lookup.values(row, columnOfField.length, unavailable);
        for (int i : jsonFields) {
            values[i] = JsonText.embed(values[i]);
        }
        for (int c = 0; c < constantFields.length; c++) {
            values[constantFields[c]] = constantValues[c];
        }
        if (carried != null) {
            for (int i = 0; i < values.length; i++) {
                if (columnOfField[i] != null && !carried.contains(columnOfField[i])) {
                    values[i] = null;
                }
            }
        }
        return values;
    }

    /** Whether the source supplies field {@code i} (a column or a constant); the others wait for a join. */
    boolean supplies(int i) {
        return supplied[i];
    }
}

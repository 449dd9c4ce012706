package io.synrep.streams;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;

/**
 * A condition on one column of a source row, {@code column op value}, with SQL's NULL semantics: a NULL column value
 * fails every comparison ({@code =} and {@code !=} included) and only {@code is null} matches it. The forms:
 *
 * <ul>
 *   <li>a number with {@code > >= < <= = !=}: holds for a numeric column value compared exactly (integers as
 *       integers, {@code numeric} as decimals; floats as doubles, where {@code NaN} is greater than every number and
 *       equal to itself, as in PostgreSQL);</li>
 *   <li>a text with {@code =} or {@code !=}: holds for a text value (text, varchar, an enum label) equal or not equal
 *       to it, character for character;</li>
 *   <li>a boolean with {@code =} or {@code !=}: holds for a boolean value;</li>
 *   <li>{@code is null}, {@code is not null}: no value.</li>
 * </ul>
 *
 * A column value of another kind than the filter's value (a number compared with a text, say) fails every
 * comparison, like NULL. Immutable and thread-safe.
 */
public final class Filter {
    /** The comparison; {@link #symbol()} is how a catalog spells it. */
    public enum Op {
        GT(">"), GE(">="), LT("<"), LE("<="), EQ("="), NE("!="), IS_NULL("is null"), IS_NOT_NULL("is not null");

        private final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        boolean ordering() {
            return this == GT || this == GE || this == LT || this == LE;
        }

        boolean nullTest() {
            return this == IS_NULL || this == IS_NOT_NULL;
        }

        static Op of(String symbol) {
            for (Op op : values()) {
                if (op.symbol.equals(symbol)) {
                    return op;
                }
            }
            return null;
        }
    }

    /** What a comparison returns when the column value cannot be compared with the filter's value. */
    private static final int INCOMPARABLE = Integer.MIN_VALUE;

    private final String column;
    private final Op op;
    private final Object value;
    /** For a number: whether it is a whole number within long range, that number, and the nearest double. */
    private final boolean whole;
    private final long longValue;
    private final double doubleValue;

    /**
     * @param value a {@link BigDecimal}, {@link String} or {@link Boolean} for a comparison, null for a null test
     * @throws IllegalArgumentException if the value does not suit the op
     */
    public Filter(String column, Op op, Object value) {
        this.column = Objects.requireNonNull(column, "column");
        this.op = Objects.requireNonNull(op, "op");
        boolean known = value == null || value instanceof BigDecimal || value instanceof String
                || value instanceof Boolean;
        if (!known || op.nullTest() != (value == null) || op.ordering() && !(value instanceof BigDecimal)) {
            throw new IllegalArgumentException("filter " + column + " " + op.symbol + " " + value);
        }
        this.value = value;
        if (value instanceof BigDecimal d) {
            BigDecimal stripped = d.stripTrailingZeros();
            this.whole = stripped.scale() <= 0 && stripped.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0
                    && stripped.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0;
            this.longValue = whole ? d.longValueExact() : 0;
            this.doubleValue = d.doubleValue();
        } else {
            this.whole = false;
            this.longValue = 0;
            this.doubleValue = 0;
        }
    }

    public String column() {
        return column;
    }

    public Op op() {
        return op;
    }

    /** A {@link BigDecimal}, {@link String} or {@link Boolean}; null for {@code is null} and {@code is not null}. */
    public Object value() {
        return value;
    }

    /**
     * Whether a column value passes: an integral {@link Number}, {@link Double}/{@link Float}, {@link BigDecimal} or
     * {@link BigInteger} for a number, a {@link String} for a text, a {@link Boolean} for a boolean, null for NULL.
     */
    public boolean test(Object v) {
        if (op == Op.IS_NULL) {
            return v == null;
        }
        if (op == Op.IS_NOT_NULL) {
            return v != null;
        }
        if (v == null) {
            return false;
        }
        int cmp;
        if (value instanceof BigDecimal d) {
            cmp = compareNumber(v, d);
        } else if (value.getClass() == v.getClass()) {
            cmp = value.equals(v) ? 0 : 1;
        } else {
            cmp = INCOMPARABLE;
        }
        if (cmp == INCOMPARABLE) {
            return false;
        }
        return switch (op) {
            case GT -> cmp > 0;
            case GE -> cmp >= 0;
            case LT -> cmp < 0;
            case LE -> cmp <= 0;
            case EQ -> cmp == 0;
            case NE -> cmp != 0;
            case IS_NULL, IS_NOT_NULL -> throw new IllegalStateException(op.symbol);
        };
    }

    /** The sign of {@code v - d}, or {@link #INCOMPARABLE}; whole numbers compare without rounding or allocating. */
    private int compareNumber(Object v, BigDecimal d) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            long x = ((Number) v).longValue();
            return whole ? Long.compare(x, longValue) : Double.compare((double) x, doubleValue);
        }
        if (v instanceof Double || v instanceof Float) {
            double x = ((Number) v).doubleValue();
            // == first: PostgreSQL's -0 equals 0; Double.compare then orders NaN above every number, as PostgreSQL
            return x == doubleValue ? 0 : Double.compare(x, doubleValue);
        }
        if (v instanceof BigDecimal x) {
            return x.compareTo(d);
        }
        if (v instanceof BigInteger x) {
            return new BigDecimal(x).compareTo(d);
        }
        return INCOMPARABLE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Filter f && f.column.equals(column) && f.op == op && Objects.equals(f.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(column, op, value);
    }

    @Override
    public String toString() {
        return column + " " + op.symbol + (value == null ? "" : " " + value);
    }

    /** One {@code "where"} object of a catalog source; {@code at} names the catalog, stream and source. */
    static Filter fromJson(JsonNode w, String at) {
        if (!w.isObject()) {
            throw new CatalogException(at + ": \"where\" must be an object or an array of objects, found " + w);
        }
        String column = w.path("column").asText("");
        if (column.isEmpty()) {
            throw new CatalogException(at + ": \"where\" needs a \"column\", found " + w);
        }
        String on = at + ": \"where\" on \"" + column + "\"";
        String symbol = w.path("op").asText("").trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        Op op = Op.of(symbol);
        if (op == null) {
            throw new CatalogException(on + ": \"op\" " + w.get("op") + " is not one of > >= < <= = != "
                    + "\"is null\" \"is not null\"");
        }
        JsonNode v = w.get("value");
        if (op.nullTest()) {
            if (v != null) {
                throw new CatalogException(on + ": \"" + op.symbol + "\" takes no \"value\", found " + v);
            }
            return new Filter(column, op, null);
        }
        if (v == null) {
            throw new CatalogException(on + ": \"" + op.symbol + "\" needs a \"value\"");
        }
        if (v.isNull()) {
            throw new CatalogException(on + ": a \"value\" of null matches no row (NULL fails every comparison); "
                    + "use \"op\": \"is null\" or \"is not null\"");
        }
        if (v.isNumber()) {
            if (!Double.isFinite(v.doubleValue()) && !v.isIntegralNumber()) {
                throw new CatalogException(on + ": \"value\" must be a finite number, was " + v);
            }
            return new Filter(column, op, v.isIntegralNumber() ? new BigDecimal(v.bigIntegerValue())
                    : BigDecimal.valueOf(v.doubleValue()));
        }
        if (!v.isTextual() && !v.isBoolean()) {
            throw new CatalogException(on + ": \"value\" must be a number, a string or a boolean, was " + v);
        }
        if (op.ordering()) {
            throw new CatalogException(on + ": \"" + op.symbol + "\" needs a numeric \"value\"; a "
                    + (v.isTextual() ? "text" : "boolean") + " \"value\" takes only \"=\" or \"!=\"");
        }
        return new Filter(column, op, v.isTextual() ? v.textValue() : v.booleanValue());
    }
}

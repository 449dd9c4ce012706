package io.synrep.streams;

import io.synrep.protocol.RawJson;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.data.Schema;

/**
 * The documented JSON representation of a column value (docs/types.md), from the value Debezium hands over and
 * its Connect schema: the schema's logical name (and, for {@code numeric}, the source column type Debezium
 * propagates) decides. Values that already have their representation pass through unchanged and unallocated:
 * integers, floats, booleans, text, bytea (the encoder writes base64), uuid, inet, enum labels, {@code numeric} text.
 *
 * <ul>
 *   <li>{@code date}: {@code "YYYY-MM-DD"} (Debezium: days since 1970-01-01), BC dates {@code "0044-03-15 BC"};</li>
 *   <li>{@code time}: {@code "HH:MM:SS[.ffffff]"} (Debezium: micro- or milliseconds since midnight);</li>
 *   <li>{@code timestamp}: {@code "YYYY-MM-DDTHH:MM:SS[.ffffff]"} (Debezium: micro-, milli- or nanoseconds since
 *       the epoch);</li>
 *   <li>{@code timestamptz}: the same in UTC with a {@code Z}, the fraction without trailing zeros;</li>
 *   <li>{@code interval}: ISO-8601 without zero components, as PostgreSQL prints it under
 *       {@code IntervalStyle = iso_8601} ({@code P1Y2M3DT4H5M6.789S}, {@code PT0S});</li>
 *   <li>{@code json}/{@code jsonb}: embedded as JSON, not as a string;</li>
 *   <li>{@code numeric}: its text; NaN and the infinities as PostgreSQL spells them (Debezium says {@code "NAN"},
 *       {@code "POSITIVE_INFINITY"}, {@code "NEGATIVE_INFINITY"});</li>
 *   <li>the infinities of {@code date} and {@code timestamp} as {@code "infinity"} and {@code "-infinity"};</li>
 *   <li>{@code timetz}: as Debezium writes it, in UTC with a {@code Z} ({@code "08:15:30.5Z"});</li>
 *   <li>arrays: JSON arrays of their elements' representations.</li>
 * </ul>
 *
 * <p>Resolved once per field schema ({@link #of(Schema)}), applied per value: values that need no mapping cost a
 * field read. Immutable and thread-safe.
 */
final class ColumnJson {
    static final String JSON = "io.debezium.data.Json";
    static final String DATE = "io.debezium.time.Date";
    static final String TIME = "io.debezium.time.Time";
    static final String MICRO_TIME = "io.debezium.time.MicroTime";
    static final String NANO_TIME = "io.debezium.time.NanoTime";
    static final String TIMESTAMP = "io.debezium.time.Timestamp";
    static final String MICRO_TIMESTAMP = "io.debezium.time.MicroTimestamp";
    static final String NANO_TIMESTAMP = "io.debezium.time.NanoTimestamp";
    static final String ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp";
    static final String INTERVAL = "io.debezium.time.Interval";
    /** The schema parameter naming the source column type ({@code column.propagate.source.type}). */
    static final String SOURCE_TYPE = "__debezium.source.column.type";

    /*
     * Debezium turns PostgreSQL's infinite dates and timestamps into fixed far-away instants
     * (PostgresValueConverter's *_INFINITY_* constants), which it then counts in its usual units. These are those
     * counts; no real value reaches them (PostgreSQL's dates end in 5874897 AD and start in 4713 BC).
     */
    static final int DATE_POSITIVE_INFINITY = -2147472692;
    static final int DATE_NEGATIVE_INFINITY = -2147472691;
    /** In arrays Debezium counts the infinities differently. */
    static final int ARRAY_DATE_NEGATIVE_INFINITY = -625821272;
    static final int ARRAY_DATE_POSITIVE_INFINITY = -622191234;
    static final long MICROS_POSITIVE_INFINITY = 9223372036825200000L;
    static final long MICROS_NEGATIVE_INFINITY = -9223372036832400000L;

    private static final long MICROS_PER_DAY = 86_400_000_000L;

    /** What a field's values need, decided once per field schema. */
    private enum Kind { AS_IS, JSON, NUMERIC, DATE, TIME_MILLIS, TIME_MICROS, TIME_NANOS, TIMESTAMP_MILLIS,
        TIMESTAMP_MICROS, TIMESTAMP_NANOS, ZONED_TIMESTAMP, INTERVAL, ARRAY }

    private static final ColumnJson AS_IS = new ColumnJson(Kind.AS_IS, null);

    private final Kind kind;
    /** For arrays: the elements' representation. */
    private final ColumnJson element;

    private ColumnJson(Kind kind, ColumnJson element) {
        this.kind = kind;
        this.element = element;
    }

    /** The representation of values of a field with {@code schema}; resolve once per schema, apply per value. */
    static ColumnJson of(Schema schema) {
        if (schema.type() == Schema.Type.ARRAY) {
            ColumnJson e = of(schema.valueSchema());
            return e == AS_IS ? AS_IS : new ColumnJson(Kind.ARRAY, e);
        }
        String name = schema.name();
        if (name == null) {
            return isNumeric(schema) ? new ColumnJson(Kind.NUMERIC, null) : AS_IS;
        }
        Kind kind = switch (name) {
            case JSON -> Kind.JSON;
            case DATE -> Kind.DATE;
            case TIME -> Kind.TIME_MILLIS;
            case MICRO_TIME -> Kind.TIME_MICROS;
            case NANO_TIME -> Kind.TIME_NANOS;
            case TIMESTAMP -> Kind.TIMESTAMP_MILLIS;
            case MICRO_TIMESTAMP -> Kind.TIMESTAMP_MICROS;
            case NANO_TIMESTAMP -> Kind.TIMESTAMP_NANOS;
            case ZONED_TIMESTAMP -> Kind.ZONED_TIMESTAMP;
            case INTERVAL -> Kind.INTERVAL;
            default -> Kind.AS_IS;
        };
        return kind == Kind.AS_IS ? AS_IS : new ColumnJson(kind, null);
    }

    /** The value to encode for {@code value} of a field with {@code schema} (resolves the schema every call). */
    static Object of(Schema schema, Object value) {
        return of(schema).apply(value);
    }

    /** The value the row encoder writes for {@code value}; null stays null. */
    Object apply(Object value) {
        if (value == null || kind == Kind.AS_IS) {
            return value;
        }
        return switch (kind) {
            case JSON -> value instanceof String s ? new RawJson(s) : value;
            case NUMERIC -> value instanceof String s ? numericSpecial(s) : value;
            case DATE -> date(((Number) value).intValue());
            case TIME_MILLIS -> time(((Number) value).longValue() * 1000);
            case TIME_MICROS -> time(((Number) value).longValue());
            case TIME_NANOS -> time(((Number) value).longValue() / 1000);
            case TIMESTAMP_MILLIS -> timestampMillis(((Number) value).longValue());
            case TIMESTAMP_MICROS -> timestamp(((Number) value).longValue());
            case TIMESTAMP_NANOS -> timestamp(((Number) value).longValue() / 1000);
            case ZONED_TIMESTAMP -> value instanceof String s ? zonedTimestamp(s) : value;
            case INTERVAL -> value instanceof String s ? interval(s) : value;
            case ARRAY -> array((List<?>) value);
            case AS_IS -> value;
        };
    }

    /** Debezium's names for numeric's special values, as PostgreSQL writes them. */
    private static String numericSpecial(String s) {
        if (s.isEmpty() || !Character.isLetter(s.charAt(s.length() - 1))) {
            return s;
        }
        return switch (s) {
            case "NAN" -> "NaN";
            case "POSITIVE_INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY" -> "-Infinity";
            default -> s;
        };
    }

    /** Whether a field with {@code schema} is a {@code numeric} (or {@code decimal}) column. */
    static boolean isNumeric(Schema schema) {
        String type = schema.parameters() == null ? null : schema.parameters().get(SOURCE_TYPE);
        return type != null && (type.equalsIgnoreCase("NUMERIC") || type.equalsIgnoreCase("DECIMAL"));
    }

    private List<Object> array(List<?> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object v : values) {
            out.add(element.apply(v));
        }
        return out;
    }

    static String date(int epochDay) {
        if (epochDay == DATE_POSITIVE_INFINITY || epochDay == ARRAY_DATE_POSITIVE_INFINITY) {
            return "infinity";
        }
        if (epochDay == DATE_NEGATIVE_INFINITY || epochDay == ARRAY_DATE_NEGATIVE_INFINITY) {
            return "-infinity";
        }
        StringBuilder sb = new StringBuilder(13);
        boolean bc = appendDate(sb, epochDay);
        if (bc) {
            sb.append(" BC");
        }
        return sb.toString();
    }

    static String time(long micros) {
        StringBuilder sb = new StringBuilder(15);
        appendTime(sb, micros);
        return sb.toString();
    }

    /** Milliseconds beyond what microseconds can count can only be Debezium's infinities. */
    private static String timestampMillis(long millis) {
        if (millis > Long.MAX_VALUE / 1000) {
            return "infinity";
        }
        if (millis < Long.MIN_VALUE / 1000) {
            return "-infinity";
        }
        return timestamp(millis * 1000);
    }

    static String timestamp(long micros) {
        if (micros == MICROS_POSITIVE_INFINITY) {
            return "infinity";
        }
        if (micros == MICROS_NEGATIVE_INFINITY) {
            return "-infinity";
        }
        StringBuilder sb = new StringBuilder(26);
        boolean bc = appendDate(sb, (int) Math.floorDiv(micros, MICROS_PER_DAY));
        sb.append('T');
        appendTime(sb, Math.floorMod(micros, MICROS_PER_DAY));
        if (bc) {
            sb.append(" BC");
        }
        return sb.toString();
    }

    /** Appends {@code YYYY-MM-DD} (proleptic Gregorian, as PostgreSQL); returns whether the year is BC. */
    private static boolean appendDate(StringBuilder sb, int epochDay) {
        java.time.LocalDate d = java.time.LocalDate.ofEpochDay(epochDay);
        int year = d.getYear();
        boolean bc = year <= 0;
        pad(sb, bc ? 1 - year : year, 4);
        sb.append('-');
        pad(sb, d.getMonthValue(), 2);
        sb.append('-');
        pad(sb, d.getDayOfMonth(), 2);
        return bc;
    }

    /** Appends {@code HH:MM:SS} and a fraction without trailing zeros when there is one; 24:00:00 is allowed. */
    private static void appendTime(StringBuilder sb, long micros) {
        long seconds = micros / 1_000_000;
        pad(sb, (int) (seconds / 3600), 2);
        sb.append(':');
        pad(sb, (int) (seconds / 60 % 60), 2);
        sb.append(':');
        pad(sb, (int) (seconds % 60), 2);
        appendFraction(sb, (int) (micros % 1_000_000));
    }

    private static void appendFraction(StringBuilder sb, int micros) {
        if (micros == 0) {
            return;
        }
        int digits = 6;
        while (micros % 10 == 0) {
            micros /= 10;
            digits--;
        }
        sb.append('.');
        pad(sb, micros, digits);
    }

    private static void pad(StringBuilder sb, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        sb.append(s);
    }

    /**
     * Debezium writes six fraction digits ({@code ...:00.000000Z}) and ISO years ({@code 0000} is 1 BC); drop the
     * trailing zeros, and write years as PostgreSQL does ({@code 0001-12-31T23:00:00Z BC}, no {@code +}).
     */
    static String zonedTimestamp(String s) {
        int end = s.length() - 1;
        if (end < 10 || s.charAt(end) != 'Z') {
            return s; // "infinity", "-infinity"
        }
        int yearEnd = s.indexOf('-', 1);
        boolean plain = s.charAt(0) != '-' && s.charAt(0) != '+' && yearEnd == 4 && !s.startsWith("0000");
        int cut = end;
        int dot = s.lastIndexOf('.');
        if (dot > 0) {
            while (cut > dot + 1 && s.charAt(cut - 1) == '0') {
                cut--;
            }
            if (cut == dot + 1) {
                cut = dot;
            }
        }
        if (plain) {
            return cut == end ? s : s.substring(0, cut) + "Z";
        }
        long year = Long.parseLong(s.substring(s.charAt(0) == '+' ? 1 : 0, yearEnd));
        StringBuilder sb = new StringBuilder(s.length() + 3);
        boolean bc = year <= 0;
        pad(sb, (int) (bc ? 1 - year : year), 4);
        sb.append(s, yearEnd, cut).append('Z');
        if (bc) {
            sb.append(" BC");
        }
        return sb.toString();
    }

    /**
     * Debezium writes every component ({@code P0Y0M-1DT2H3M4S}); PostgreSQL's ISO-8601 output leaves out the zero
     * ones ({@code P-1DT2H3M4S}) and writes {@code PT0S} for a zero interval.
     */
    static String interval(String s) {
        if (s.isEmpty() || s.charAt(0) != 'P') {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        out.append('P');
        boolean time = false;
        boolean timeWritten = false;
        int start = 1;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 'T') {
                time = true;
                start = i + 1;
            } else if (Character.isLetter(c)) {
                String number = s.substring(start, i);
                if (!isZero(number)) {
                    if (time && !timeWritten) {
                        out.append('T');
                        timeWritten = true;
                    }
                    out.append(number).append(c);
                }
                start = i + 1;
            }
        }
        return out.length() == 1 ? "PT0S" : out.toString();
    }

    private static boolean isZero(String number) {
        for (int i = 0; i < number.length(); i++) {
            char c = number.charAt(i);
            if (c != '0' && c != '-' && c != '+' && c != '.') {
                return false;
            }
        }
        return true;
    }
}

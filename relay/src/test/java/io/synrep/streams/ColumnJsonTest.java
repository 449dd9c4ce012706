package io.synrep.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.synrep.protocol.RawJson;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

/** The representation rules one by one; TypeFidelityIT checks them against PostgreSQL end to end. */
class ColumnJsonTest {
    private static Schema named(Schema.Type type, String name) {
        return SchemaBuilder.type(type).name(name).optional().build();
    }

    @Test
    void datesAreIsoWithPostgresYears() {
        assertEquals("1970-01-01", ColumnJson.date(0));
        assertEquals("1969-12-31", ColumnJson.date(-1));
        assertEquals("2024-02-29", ColumnJson.date(19782));
        assertEquals("12345-06-07", ColumnJson.date(3789548));
        assertEquals("0001-12-31 BC", ColumnJson.date((int) java.time.LocalDate.of(0, 12, 31).toEpochDay()));
        assertEquals("infinity", ColumnJson.date(ColumnJson.DATE_POSITIVE_INFINITY));
        assertEquals("-infinity", ColumnJson.date(ColumnJson.DATE_NEGATIVE_INFINITY));
        assertEquals("2024-02-29", ColumnJson.of(named(Schema.Type.INT32, ColumnJson.DATE), 19782));
    }

    @Test
    void timesKeepSecondsAndTrimTheFraction() {
        assertEquals("00:00:00", ColumnJson.time(0));
        assertEquals("13:45:30.123456", ColumnJson.time(49530123456L));
        assertEquals("13:45:30.5", ColumnJson.time(49530500000L));
        assertEquals("00:00:00.000001", ColumnJson.time(1));
        assertEquals("24:00:00", ColumnJson.time(86_400_000_000L));
        assertEquals("00:00:01.5", ColumnJson.of(named(Schema.Type.INT32, ColumnJson.TIME), 1500));
    }

    @Test
    void timestampsBeforeTheEpochCountBackwards() {
        assertEquals("1970-01-01T00:00:00", ColumnJson.timestamp(0));
        assertEquals("1969-12-31T23:59:59.999999", ColumnJson.timestamp(-1));
        assertEquals("1900-01-01T00:00:00.000001", ColumnJson.timestamp(-2208988799999999L));
        assertEquals("infinity", ColumnJson.timestamp(ColumnJson.MICROS_POSITIVE_INFINITY));
        assertEquals("-infinity", ColumnJson.timestamp(ColumnJson.MICROS_NEGATIVE_INFINITY));
        assertEquals("2024-02-29T13:45:30.123", ColumnJson.of(named(Schema.Type.INT64, ColumnJson.TIMESTAMP),
                1709214330123L));
        assertEquals("infinity", ColumnJson.of(named(Schema.Type.INT64, ColumnJson.TIMESTAMP),
                ColumnJson.MICROS_POSITIVE_INFINITY / 1000));
        assertEquals("-infinity", ColumnJson.of(named(Schema.Type.INT64, ColumnJson.TIMESTAMP), Long.MIN_VALUE));
    }

    @Test
    void zonedTimestampsLoseTrailingZerosAndUseBcYears() {
        assertEquals("2024-01-01T00:00:00Z", ColumnJson.zonedTimestamp("2024-01-01T00:00:00.000000Z"));
        assertEquals("2024-01-01T00:00:00.5Z", ColumnJson.zonedTimestamp("2024-01-01T00:00:00.500000Z"));
        assertEquals("2000-01-01T07:59:59.999999Z", ColumnJson.zonedTimestamp("2000-01-01T07:59:59.999999Z"));
        assertEquals("2000-01-01T07:59:59Z", ColumnJson.zonedTimestamp("2000-01-01T07:59:59Z"));
        assertEquals("0001-12-31T23:00:00Z BC", ColumnJson.zonedTimestamp("0000-12-31T23:00:00.000000Z"));
        assertEquals("0044-03-15T12:00:00Z BC", ColumnJson.zonedTimestamp("-0043-03-15T12:00:00Z"));
        assertEquals("12345-06-07T08:09:10Z", ColumnJson.zonedTimestamp("+12345-06-07T08:09:10.000000Z"));
        assertEquals("infinity", ColumnJson.zonedTimestamp("infinity"));
        assertEquals("-infinity", ColumnJson.zonedTimestamp("-infinity"));
    }

    @Test
    void intervalsLeaveOutZeroComponents() {
        assertEquals("P1Y2M3DT4H5M6.789S", ColumnJson.interval("P1Y2M3DT4H5M6.789S"));
        assertEquals("P-1DT2H3M4S", ColumnJson.interval("P0Y0M-1DT2H3M4S"));
        assertEquals("PT0S", ColumnJson.interval("P0Y0M0DT0H0M0S"));
        assertEquals("PT-0.000001S", ColumnJson.interval("P0Y0M0DT0H0M-0.000001S"));
        assertEquals("P1Y", ColumnJson.interval("P1Y0M0DT0H0M0S"));
        assertEquals("PT100H", ColumnJson.interval("P0Y0M0DT100H0M0S"));
    }

    @Test
    void numericSpecialValuesAreSpelledAsPostgresDoes() {
        Schema numeric = SchemaBuilder.string().optional().parameter(ColumnJson.SOURCE_TYPE, "NUMERIC").build();
        assertEquals("NaN", ColumnJson.of(numeric, "NAN"));
        assertEquals("Infinity", ColumnJson.of(numeric, "POSITIVE_INFINITY"));
        assertEquals("-Infinity", ColumnJson.of(numeric, "NEGATIVE_INFINITY"));
        assertEquals("1.50", ColumnJson.of(numeric, "1.50"));
        Schema text = SchemaBuilder.string().optional().parameter(ColumnJson.SOURCE_TYPE, "TEXT").build();
        assertEquals("NAN", ColumnJson.of(text, "NAN"));
    }

    @Test
    void jsonIsEmbeddedAndArraysMapTheirElements() {
        assertEquals(new RawJson("{\"a\":1}"), ColumnJson.of(named(Schema.Type.STRING, ColumnJson.JSON), "{\"a\":1}"));
        Schema jsonArray = SchemaBuilder.array(named(Schema.Type.STRING, ColumnJson.JSON)).optional().build();
        assertEquals(List.of(new RawJson("1"), new RawJson("null")), ColumnJson.of(jsonArray, List.of("1", "null")));
        Schema dates = SchemaBuilder.array(named(Schema.Type.INT32, ColumnJson.DATE)).optional().build();
        assertEquals(java.util.Arrays.asList("1970-01-02", null),
                ColumnJson.of(dates, java.util.Arrays.asList(1, null)));
        List<Integer> ints = List.of(1, 2);
        assertSame(ints, ColumnJson.of(SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build(), ints),
                "arrays that need no mapping are not copied");
    }
}

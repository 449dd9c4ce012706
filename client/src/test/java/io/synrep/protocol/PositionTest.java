package io.synrep.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PositionTest {

    @Test
    void integersParseAsThemselves() {
        assertEquals(0L, Position.parseToken("0"));
        assertEquals(1L, Position.parseToken("1"));
        assertEquals(23_924_640L, Position.parseToken("23924640"));
        assertEquals(Long.MAX_VALUE, Position.parseToken(Long.toString(Long.MAX_VALUE)));
    }

    @Test
    void minusOneMeansOldest() {
        assertEquals(Position.OLDEST, Position.parseToken("-1"));
        assertEquals(-1L, Position.OLDEST);
    }

    @Test
    void nowIsItsOwnMarker() {
        long now = Position.parseToken("now");
        assertEquals(Position.NOW, now);
        // the marker must not collide with anything a reader can send as a real position
        assertTrue(now < 0);
        assertTrue(now != Position.OLDEST);
    }

    @Test
    void lsnTextParsesAsHighAndLowHalves() {
        assertEquals(0x16B3748L, Position.parseToken("0/16B3748"));
        assertEquals(0x16B3748L, Position.parseToken("0/16b3748"));
        assertEquals(1L << 32, Position.parseToken("1/0"));
        assertEquals((0xABL << 32) | 0xCDEFL, Position.parseToken("AB/CDEF"));
        assertEquals(0L, Position.parseToken("0/0"));
        assertEquals(0x7FFFFFFFFFFFFFFFL, Position.parseToken("7FFFFFFF/FFFFFFFF"));
        assertEquals(0x16B3748L, Position.parseLsn("0/16B3748"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "abc", "-5", "-2", "1/", "/1", "/", "1/2/3", "g/1", "1/g", "0/-1", "-1/0", "+1/0",
        "123456789/0", "0/123456789", "FFFFFFFF/FFFFFFFF", "80000000/0",
        "99999999999999999999", "9223372036854775808", "1.5", "1e3", " 1", "1 ", "NOW", "now ", "0x10",
        "+5", "-0", "\u0661\u0662", "\uFF11/0", "0/\uFF11"
    })
    void malformedTokensAreRejected(String token) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Position.parseToken(token));
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "the message must say what is wrong");
    }

    @Test
    void nullTokenIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Position.parseToken(null));
    }

    @Test
    void longMalformedTokensAreAbbreviatedInTheMessage() {
        String huge = "x".repeat(10_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Position.parseToken(huge));
        assertTrue(e.getMessage().length() < 200, e.getMessage());
    }

    @Test
    void formatLsnUsesPostgresTextForm() {
        assertEquals("0/16B3748", Position.formatLsn(0x16B3748L));
        assertEquals("1/0", Position.formatLsn(1L << 32));
        assertEquals("0/0", Position.formatLsn(0));
        assertEquals("7FFFFFFF/FFFFFFFF", Position.formatLsn(Long.MAX_VALUE));
    }

    @ParameterizedTest
    @ValueSource(longs = {0L, 1L, 0xFFFFFFFFL, 1L << 32, 0x16B3748L, 0x12345678_9ABCDEFL, Long.MAX_VALUE})
    void formatLsnRoundTrips(long position) {
        String text = Position.formatLsn(position);
        assertEquals(position, Position.parseToken(text));
        assertEquals(position, Position.parseLsn(text));
    }
}

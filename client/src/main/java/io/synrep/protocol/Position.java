package io.synrep.protocol;

/**
 * Stream positions: a transaction's commit LSN as a signed 64-bit integer.
 *
 * <p>Positions are compared as plain {@code long}s. Tokens on the wire are either an integer, PostgreSQL's
 * {@code X/Y} LSN text, {@code -1} (oldest retained) or {@code now} (current position). Stateless and thread-safe.
 */
public final class Position {
    /** Token value meaning "from the oldest retained position". */
    public static final long OLDEST = -1L;
    /** Marker returned by {@link #parseToken} for the token {@code now}. */
    public static final long NOW = Long.MIN_VALUE;
    /** The token for {@link #OLDEST}. */
    public static final String OLDEST_TOKEN = "-1";
    /** The token for {@link #NOW}: the position the relay stands at when the request arrives. */
    public static final String NOW_TOKEN = "now";

    private Position() {}

    /**
     * Parses a reader's token.
     *
     * @return the position, {@link #OLDEST} for {@code -1}, or {@link #NOW} for {@code now}
     * @throws IllegalArgumentException with a readable message when the token is malformed
     */
    public static long parseToken(String token) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("empty token");
        }
        if (token.equals(NOW_TOKEN)) {
            return NOW;
        }
        if (token.equals(OLDEST_TOKEN)) {
            return OLDEST;
        }
        if (token.indexOf('/') >= 0) {
            return parseLsn(token);
        }
        if (!isDecimal(token)) {
            throw new IllegalArgumentException("token '" + abbreviate(token) + "' is not an integer, an LSN (X/Y), -1 or now");
        }
        long value;
        try {
            value = Long.parseLong(token);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("token '" + abbreviate(token) + "' is not an integer, an LSN (X/Y), -1 or now");
        }
        if (value < 0) {
            throw new IllegalArgumentException("token " + value + " is negative; only -1 has a meaning");
        }
        return value;
    }

    /** The token for a value {@link #parseToken} returns: {@code now}, {@code -1} or the decimal position. */
    public static String formatToken(long parsed) {
        return parsed == NOW ? NOW_TOKEN : Long.toString(parsed);
    }

    /**
     * A token in the form readers keep and send: {@code now}, {@code -1} or a decimal position (an LSN is
     * converted).
     *
     * @throws IllegalArgumentException as {@link #parseToken}
     */
    public static String canonicalToken(String token) {
        return formatToken(parseToken(token));
    }

    /** Whether {@code token} is {@code -1} or {@code now}: it names no position yet. */
    public static boolean isSymbolic(String token) {
        return OLDEST_TOKEN.equals(token) || NOW_TOKEN.equals(token);
    }

    /** Parses PostgreSQL's {@code X/Y} LSN text (each half hexadecimal, at most 8 digits). */
    public static long parseLsn(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("'" + abbreviate(text) + "' is not an LSN of the form X/Y");
        }
        String hi = text.substring(0, slash);
        String lo = text.substring(slash + 1);
        if (hi.length() > 8 || lo.length() > 8 || !isHex(hi) || !isHex(lo)) {
            throw new IllegalArgumentException("'" + abbreviate(text) + "' is not an LSN of the form X/Y (hexadecimal halves)");
        }
        long value = (Long.parseLong(hi, 16) << 32) | Long.parseLong(lo, 16);
        if (value < 0) {
            throw new IllegalArgumentException("LSN '" + abbreviate(text) + "' is out of range");
        }
        return value;
    }

    /** Formats a position as PostgreSQL LSN text, e.g. {@code 0/16B3748}. */
    public static String formatLsn(long position) {
        return Long.toHexString(position >>> 32).toUpperCase() + "/" + Long.toHexString(position & 0xFFFFFFFFL).toUpperCase();
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    /** ASCII digits only: {@link Long#parseLong} also takes a sign and non-ASCII digits. */
    private static boolean isDecimal(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}

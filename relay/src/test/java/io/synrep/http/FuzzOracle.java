package io.synrep.http;

import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the relay must answer to a generated request ({@link FuzzRequests}): its status and errcode, and for a 200
 * of the replication endpoint the tokens, limit and meta stream it was asked for (the rows are then checked against
 * what the log holds). Every request class the generator makes gets its answer here:
 * <ul>
 *   <li>what Jetty refuses before the relay sees it (a method that is not an ASCII token, a raw space in the target,
 *       HTTP versions other than 1.0 and 1.1, a request line or header block over the header limit, malformed
 *       headers, conflicting or negative lengths, HTTP/1.1 without Host, CONNECT, {@code *}, URIs Jetty finds
 *       ambiguous or badly encoded): 400 {@code M_UNRECOGNIZED} (426 for {@code HTTP/2.0}, 414 or 431
 *       {@code M_TOO_LARGE} for sizes, 404 for {@code OPTIONS *});</li>
 *   <li>HEAD: 405; a path outside the open ones without the secret: 401 {@code M_MISSING_TOKEN} (no header, not
 *       {@code Bearer}, given twice) or {@code M_UNKNOWN_TOKEN} (wrong secret); a query longer than the maximum:
 *       414 {@code M_TOO_LARGE}; another method than GET or an unknown path: 404 {@code M_UNRECOGNIZED};</li>
 *   <li>the replication endpoint, with the query parsed as Javalin does (split on {@code &} and the first
 *       {@code =}, each part URL-decoded as UTF-8; an undecodable name drops the parameter, an undecodable value
 *       drops the value): a parameter given other than once, a bad token, {@code timeout} or {@code limit} (or
 *       {@code limit} below 1), {@code streams} other than {@code -1}, an empty or overlong epoch, an unknown stream,
 *       or no stream: 400 {@code M_INVALID_PARAM}; an epoch other than the relay's: 410 {@code M_POSITION_TOO_OLD};
 *       a token ahead of the writer: 400 {@code M_POSITION_AHEAD}; a token below the horizon: 410
 *       {@code M_POSITION_TOO_OLD} with {@code earliest}; otherwise 200;</li>
 *   <li>the other endpoints: {@code /health}, {@code /health/live}, {@code /status}, {@code /metrics},
 *       {@code /openapi.json} and {@code /}: 200; {@code /health/ready}: 503 (this relay has no capture).</li>
 * </ul>
 * The Jetty classes are Jetty 12's behaviour as {@link Listener} configures it, in the order Jetty applies its checks
 * (some while it reads the request line, some after the headers: an encoded dot segment is refused before an
 * oversized header block, a badly encoded path after it); the rest is the relay's contract (docs/protocol.md's
 * error table, docs/security.md). Within a few bytes of the header limit any of Jetty's own rejections is accepted.
 */
final class FuzzOracle {
    /** Header twists the generator adds. */
    enum Twist { NONE, ACCEPT_HTML, FILLER, JSON_BODY, CHUNKED_AND_LENGTH, NEGATIVE_LENGTH, BAD_HEADER_LINE, CONTROL_BYTE }

    /**
     * A generated request as its parts.
     *
     * @param target         the request target as sent (path, query, fragment), ISO-8859-1 characters for bytes
     * @param version        the version on the request line, or "" for none
     * @param authorizations the values of the Authorization headers sent, in order (each as it follows the colon)
     * @param bytes          the whole request
     */
    record Request(String method, boolean doubleSpace, String target, String version, boolean host,
                   List<String> authorizations, Twist twist, byte[] bytes) {}

    /** A reader's token: {@code -1}, {@code now}, or a position. */
    record Token(Kind kind, long position) {
        enum Kind { OLDEST, NOW, AT }
    }

    /** A 200 of the replication endpoint: the tokens in request order, the effective limit, the meta stream. */
    record Poll(Map<String, Token> tokens, int limit, boolean meta) {}

    /**
     * The answer a request must get.
     *
     * @param errcode    the JSON body's errcode, or null when the answer has none (200, HEAD, the readiness probe)
     * @param route      what serves the path, once Jetty accepted the request; else null
     * @param poll       for a 200 of the replication endpoint, what was asked; else null
     * @param nearLimit  the request is within a few bytes of Jetty's header limit, where Jetty's exact accounting
     *                   decides which of its rejections comes first: its 400, 414 and 431 are accepted too
     * @param why        the request class, for messages and counts
     */
    record Expected(int status, String errcode, Route route, Poll poll, boolean nearLimit, String why) {
        static Expected of(int status, String errcode, String why) {
            return new Expected(status, errcode, null, null, false, why);
        }

        Expected near(boolean near) {
            return new Expected(status, errcode, route, poll, near, why);
        }

        Expected at(Route r) {
            return new Expected(status, errcode, r, poll, nearLimit, why);
        }
    }

    /** Paths the generator uses, by what serves them. */
    enum Route { REPLICATION, HEALTH, LIVE, READY, STATUS, METRICS, OPENAPI, PAGE, UNKNOWN, AMBIGUOUS, BAD_ENCODING, ASTERISK }

    private static final Map<String, Route> ROUTES = Map.ofEntries(
            Map.entry("/_synapse/replication", Route.REPLICATION),
            Map.entry("/_synapse/replication/", Route.REPLICATION), // trailing slashes are ignored
            Map.entry("http://127.0.0.1/_synapse/replication", Route.REPLICATION), // absolute form, authority = Host
            Map.entry("/health", Route.HEALTH),
            Map.entry("/health/live", Route.LIVE),
            Map.entry("/health/ready", Route.READY),
            Map.entry("/status", Route.STATUS),
            Map.entry("/status/", Route.STATUS),
            Map.entry("/metrics", Route.METRICS),
            Map.entry("/openapi.json", Route.OPENAPI),
            Map.entry("/", Route.PAGE),
            // routes match the path as sent: neither decoded nor normalised (so "/a/../health" is not the open probe)
            Map.entry("/_synapse//replication", Route.UNKNOWN),
            Map.entry("/_synapse", Route.UNKNOWN),
            Map.entry("/_synapse/replication/events", Route.UNKNOWN),
            Map.entry("/_synapse/%72eplication", Route.UNKNOWN),
            Map.entry("/_synapse/replication;x=1", Route.UNKNOWN),
            Map.entry("/a/../health", Route.UNKNOWN),
            // Jetty, with the request line: an encoded dot segment or NUL
            Map.entry("/%2e%2e/_synapse/replication", Route.AMBIGUOUS),
            Map.entry("/_synapse/replication%00", Route.AMBIGUOUS),
            Map.entry("/metrics%00", Route.AMBIGUOUS),
            // Jetty, once it decodes the path (after the headers): overlong UTF-8, raw non-ASCII
            Map.entry("/%C0%AE%C0%AE/", Route.BAD_ENCODING),
            Map.entry("/\u00e9", Route.BAD_ENCODING),
            Map.entry("*", Route.ASTERISK));
    private static final Set<Route> OPEN = Set.of(Route.HEALTH, Route.LIVE, Route.READY, Route.PAGE);
    private static final Pattern TOKEN_CHARS = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+");
    private static final Pattern SIGNED_DECIMAL = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern HEX_HALF = Pattern.compile("[0-9A-Fa-f]{1,8}");
    /** Within this many bytes of the header limit, Jetty's exact accounting decides between the answers. */
    private static final int NEAR = 64;

    private final String secret;
    private final String epoch;
    private final long horizon;
    private final long writer;
    private final int headerLimit;
    private final int maxQueryLength;
    private final int defaultLimit;
    private final int maxLimit;
    private final Set<String> streams;

    /**
     * @param headerLimit Jetty's request header size: the request line and the header block must each fit
     */
    FuzzOracle(String secret, String epoch, long horizon, long writer, int headerLimit, int maxQueryLength,
               int defaultLimit, int maxLimit, Set<String> streams) {
        this.secret = secret;
        this.epoch = epoch;
        this.horizon = horizon;
        this.writer = writer;
        this.headerLimit = headerLimit;
        this.maxQueryLength = maxQueryLength;
        this.defaultLimit = defaultLimit;
        this.maxLimit = maxLimit;
        this.streams = streams;
    }

    Expected expect(Request q) {
        // --- Jetty, while it reads the request line
        if (!TOKEN_CHARS.matcher(q.method()).matches()) {
            return jetty(400, "method is not a token");
        }
        int targetAt = q.method().length() + (q.doubleSpace() ? 2 : 1);
        String line = q.method() + (q.doubleSpace() ? "  " : " ") + q.target()
                + (q.version().isEmpty() ? "" : " " + q.version());
        int space = q.target().indexOf(' ');
        int uriEnd = targetAt + (space >= 0 ? space : q.target().length());
        if (uriEnd > headerLimit) {
            return Expected.of(414, "M_TOO_LARGE", "URI over the header limit").near(uriEnd < headerLimit + NEAR);
        }
        boolean near = uriEnd > headerLimit - NEAR;
        if (space >= 0) {
            // the URI ends at the space; what follows is read as the version, until a character that cannot be in
            // one (a space, a byte outside visible ASCII)
            int bad = uriEnd + 1;
            while (bad < line.length() && line.charAt(bad) > 0x20 && line.charAt(bad) < 0x7f) {
                bad++;
            }
            if (bad > headerLimit) {
                return Expected.of(431, "M_TOO_LARGE", "raw space in the target, then over the header limit")
                        .near(near || bad < headerLimit + NEAR);
            }
            return jetty(400, "raw space in the target").near(near || bad > headerLimit - NEAR);
        }
        if (line.length() > headerLimit) {
            return Expected.of(431, "M_TOO_LARGE", "request line over the header limit").near(true);
        }
        near |= line.length() > headerLimit - NEAR;
        if (!Set.of("HTTP/1.0", "HTTP/1.1", "HTTP/2.0").contains(q.version())) {
            return jetty(400, "unsupported version '" + q.version() + "'").near(near);
        }
        // --- Jetty, once it has the request line: CONNECT to a path, the asterisk form with a query, encoded dots
        if (q.method().equals("CONNECT") && !q.target().equals("*")) {
            return jetty(400, "CONNECT").near(near);
        }
        String target = q.target();
        int hash = target.indexOf('#');
        String beforeFragment = hash < 0 ? target : target.substring(0, hash);
        int question = beforeFragment.indexOf('?');
        String path = question < 0 ? beforeFragment : beforeFragment.substring(0, question);
        String query = question < 0 ? null : utf8(beforeFragment.substring(question + 1));
        Route route = ROUTES.get(path);
        if (route == null) {
            throw new IllegalStateException("the oracle does not know the generated path " + path);
        }
        if (route == Route.ASTERISK && !target.equals("*")) {
            return jetty(400, "* with a query or fragment as the target").near(near);
        }
        if (route == Route.AMBIGUOUS) {
            return jetty(400, "ambiguous URI " + path).near(near);
        }
        // --- Jetty, while it reads the headers
        int headLength = headLength(q.bytes());
        if (headLength > headerLimit) {
            return Expected.of(431, "M_TOO_LARGE", "header block over the header limit")
                    .near(near || headLength < headerLimit + NEAR);
        }
        near |= headLength > headerLimit - NEAR;
        switch (q.twist()) {
            case BAD_HEADER_LINE, CONTROL_BYTE, CHUNKED_AND_LENGTH, NEGATIVE_LENGTH -> {
                return jetty(400, "malformed header: " + q.twist()).near(near);
            }
            default -> { }
        }
        // --- Jetty, with the whole request head
        if (q.version().equals("HTTP/2.0")) {
            return Expected.of(426, "M_UNRECOGNIZED", "HTTP/2.0 request line").near(near);
        }
        if (route == Route.BAD_ENCODING) {
            return jetty(400, "badly encoded path " + path).near(near);
        }
        if (route == Route.ASTERISK) { // CONNECT * names an authority that is not the Host
            return q.method().equals("OPTIONS") ? Expected.of(404, "M_UNRECOGNIZED", "OPTIONS *").near(near)
                    : jetty(400, "* as the target").near(near);
        }
        if (!q.host() && q.version().equals("HTTP/1.1")) {
            return jetty(400, "HTTP/1.1 without Host").near(near);
        }
        return served(q, route, query).at(route).near(near);
    }

    /** The answer once Jetty accepted the request: the listener's checks, then the routes. */
    private Expected served(Request q, Route route, String query) {
        if (q.method().equals("HEAD")) {
            return Expected.of(405, null, "HEAD");
        }
        if (secret != null && !OPEN.contains(route)) {
            Expected refused = authorization(q.authorizations());
            if (refused != null) {
                return refused;
            }
        }
        if (query != null && query.length() > maxQueryLength) {
            return Expected.of(414, "M_TOO_LARGE", "query over the maximum length");
        }
        if (!q.method().equals("GET")) {
            return Expected.of(404, "M_UNRECOGNIZED", "method " + q.method());
        }
        return switch (route) {
            case REPLICATION -> poll(query);
            case READY -> Expected.of(503, null, "readiness without capture");
            case UNKNOWN -> Expected.of(404, "M_UNRECOGNIZED", "unknown path");
            default -> Expected.of(200, null, "GET " + route);
        };
    }

    private static Expected jetty(int status, String why) {
        return Expected.of(status, "M_UNRECOGNIZED", "Jetty: " + why);
    }

    /** The 401 for these Authorization header values, or null when they carry the secret. */
    private Expected authorization(List<String> values) {
        if (values.isEmpty()) {
            return Expected.of(401, "M_MISSING_TOKEN", "no Authorization");
        }
        if (values.size() > 1) {
            return Expected.of(401, "M_MISSING_TOKEN", "Authorization given twice");
        }
        String value = values.get(0).strip(); // header values lose surrounding whitespace
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Expected.of(401, "M_MISSING_TOKEN", "Authorization not Bearer");
        }
        if (!value.substring(7).strip().equals(secret)) {
            return Expected.of(401, "M_UNKNOWN_TOKEN", "wrong secret");
        }
        return null;
    }

    /** {@code GET /_synapse/replication} with this query (null: none). */
    private Expected poll(String query) {
        Map<String, List<String>> params = javalinParams(query);
        Map<String, Token> tokens = new LinkedHashMap<>();
        int limit = defaultLimit;
        boolean meta = false;
        String epochGiven = null;
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            String key = e.getKey();
            if (e.getValue().size() != 1) {
                return invalid("parameter given " + e.getValue().size() + " times");
            }
            String value = e.getValue().get(0);
            switch (key) {
                case "timeout" -> {
                    if (nonNegative(value) == null) {
                        return invalid("bad timeout");
                    }
                }
                case "limit" -> {
                    BigInteger l = nonNegative(value);
                    if (l == null || l.signum() == 0) {
                        return invalid("bad limit");
                    }
                    limit = l.min(BigInteger.valueOf(maxLimit)).intValue();
                }
                case "streams" -> {
                    if (!value.equals("-1")) {
                        return invalid("streams other than -1");
                    }
                    meta = true;
                }
                case "epoch" -> {
                    if (value.isEmpty() || value.length() > 200) {
                        return invalid("empty or overlong epoch");
                    }
                    epochGiven = value;
                }
                default -> {
                    if (!streams.contains(key)) {
                        return invalid("unknown stream");
                    }
                    Token t = token(value);
                    if (t == null) {
                        return invalid("malformed token");
                    }
                    tokens.put(key, t);
                }
            }
        }
        if (tokens.isEmpty() && !meta) {
            return invalid("no stream named");
        }
        if (epochGiven != null && !epochGiven.equals(epoch)) {
            return Expected.of(410, "M_POSITION_TOO_OLD", "another epoch");
        }
        for (Token t : tokens.values()) {
            if (t.kind() == Token.Kind.AT && t.position() > writer) {
                return Expected.of(400, "M_POSITION_AHEAD", "token ahead of the writer");
            }
        }
        for (Token t : tokens.values()) {
            if (t.kind() == Token.Kind.AT && t.position() < horizon) {
                return Expected.of(410, "M_POSITION_TOO_OLD", "token below the horizon");
            }
        }
        return new Expected(200, null, Route.REPLICATION, new Poll(tokens, limit, meta), false, "valid poll");
    }

    private static Expected invalid(String why) {
        return Expected.of(400, "M_INVALID_PARAM", why);
    }

    /** {@code -1}, {@code now}, a decimal position, or PostgreSQL's {@code X/Y} LSN text; null when malformed. */
    static Token token(String value) {
        if (value.equals("-1")) {
            return new Token(Token.Kind.OLDEST, -1);
        }
        if (value.equals("now")) {
            return new Token(Token.Kind.NOW, -1);
        }
        if (DECIMAL.matcher(value).matches()) {
            BigInteger v = new BigInteger(value);
            return v.bitLength() < 64 ? new Token(Token.Kind.AT, v.longValue()) : null;
        }
        String[] halves = value.split("/", -1);
        if (halves.length == 2 && HEX_HALF.matcher(halves[0]).matches() && HEX_HALF.matcher(halves[1]).matches()) {
            long hi = Long.parseLong(halves[0], 16);
            return hi <= Integer.MAX_VALUE ? new Token(Token.Kind.AT, hi << 32 | Long.parseLong(halves[1], 16)) : null;
        }
        return null;
    }

    /** A decimal integer (sign allowed) from 0 to 2^63-1, or null. */
    private static BigInteger nonNegative(String value) {
        if (!SIGNED_DECIMAL.matcher(value).matches()) {
            return null;
        }
        BigInteger v = new BigInteger(value);
        return v.signum() >= 0 && v.bitLength() < 64 ? v : null;
    }

    /**
     * Query parameters as Javalin reads them: split on {@code &} (empty parts included), then on the first {@code =};
     * names and values URL-decoded as UTF-8 ({@code +} is a space). A name that cannot be decoded drops its
     * parameter; a value that cannot be decoded is dropped (its name stays, with fewer values).
     */
    static Map<String, List<String>> javalinParams(String query) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String part : query.split("&", -1)) {
            int eq = part.indexOf('=');
            String name = decode(eq < 0 ? part : part.substring(0, eq));
            String value = decode(eq < 0 ? "" : part.substring(eq + 1));
            if (name == null) {
                continue;
            }
            List<String> values = out.computeIfAbsent(name, k -> new ArrayList<>());
            if (value != null) {
                values.add(value);
            }
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Request-target bytes (sent as ISO-8859-1 characters) as the server reads them: UTF-8, malformed replaced. */
    private static String utf8(String isoChars) {
        return new String(isoChars.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** The length of the request line and headers, up to and including the blank line. */
    private static int headLength(byte[] bytes) {
        for (int i = 0; i + 3 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
                return i + 4;
            }
        }
        return bytes.length;
    }
}

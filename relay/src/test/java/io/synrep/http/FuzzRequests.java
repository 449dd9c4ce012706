package io.synrep.http;

import io.synrep.protocol.Position;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated HTTP/1.1 requests for the relay, as raw bytes: random and malformed parameters, huge and negative
 * numbers, repeated parameters, odd percent-encodings and bytes, bad methods and versions, and (with a secret) every
 * kind of Authorization header. Request {@code i} depends only on the seed and {@code i}, so a failure can be replayed.
 * Each request also comes as its parts ({@link FuzzOracle.Request}), from which {@link FuzzOracle} says what the
 * relay must answer.
 */
final class FuzzRequests {
    /** One generated request: its bytes, whether it is a HEAD request (no response body), and its parts. */
    record Generated(byte[] bytes, boolean head, String shown, FuzzOracle.Request request) {}

    private static final List<String> KEYS = List.of("events", "receipts", "events", "receipts", "timeout", "limit",
            "streams", "epoch", "typing", "Events", "events%00", "ev%65nts", "", "%", "%zz", "limit[]", "events.x",
            "caches", "timeout", "limit");
    private static final List<String> PATHS = List.of("/_synapse/replication", "/_synapse/replication",
            "/_synapse/replication", "/_synapse/replication", "/_synapse/replication/", "/_synapse//replication",
            "/health", "/", "/_synapse", "/_synapse/replication/events", "/%2e%2e/_synapse/replication",
            "/_synapse/%72eplication", "/_synapse/replication;x=1", "/_synapse/replication%00", "/a/../health",
            "*", "http://127.0.0.1/_synapse/replication", "/%C0%AE%C0%AE/", "/\u00e9", "/status", "/metrics",
            "/health/live", "/health/ready", "/openapi.json", "/status/", "/metrics%00");
    private static final List<String> METHODS = List.of("GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET",
            "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "get", "G\u00c9T", "CONNECT", "BREW");

    private final long seed;
    private final String secret;
    private final long writer;

    /**
     * @param secret the relay's secret (most requests present it correctly), or null
     * @param writer the writer's position the relay reports: some tokens are generated just past it
     */
    FuzzRequests(long seed, String secret, long writer) {
        this.seed = seed;
        this.secret = secret;
        this.writer = writer;
    }

    Generated get(int i) {
        Random r = new Random(seed * 1_000_003L + i);
        boolean nearlyValid = r.nextInt(5) < 2; // a reader's request with at most a small twist
        String method = nearlyValid ? "GET" : pick(r, METHODS);
        StringBuilder target = new StringBuilder(nearlyValid ? "/_synapse/replication" : pick(r, PATHS));
        if (nearlyValid) {
            target.append('?').append(readerQuery(r));
        } else if (r.nextInt(20) != 0) {
            target.append(r.nextInt(30) == 0 ? "??" : "?").append(query(r));
        }
        if (r.nextInt(40) == 0) {
            target.append('#').append(value(r));
        }
        String version = nearlyValid ? "HTTP/1.1" : switch (r.nextInt(60)) {
            case 0 -> "HTTP/1.0";
            case 1 -> "HTTP/2.0";
            case 2 -> "HTTP/1.1 extra";
            case 3 -> "";
            case 4 -> "HTTP/0.9";
            default -> "HTTP/1.1";
        };
        StringBuilder head = new StringBuilder();
        boolean doubleSpace = r.nextInt(50) == 0;
        head.append(method).append(doubleSpace ? "  " : " ").append(target)
                .append(version.isEmpty() ? "" : " " + version).append("\r\n");
        boolean host = r.nextInt(40) != 0;
        if (host) {
            head.append("Host: 127.0.0.1\r\n");
        }
        List<String> authorizations = new ArrayList<>();
        if (nearlyValid && secret != null && r.nextInt(10) != 0) {
            authorizations.add("Bearer " + secret);
        } else {
            authorization(r, authorizations);
        }
        for (String a : authorizations) {
            head.append("Authorization:").append(a.isEmpty() ? "" : " " + a).append("\r\n");
        }
        String body = null;
        FuzzOracle.Twist twist = FuzzOracle.Twist.NONE;
        switch (nearlyValid ? 99 : r.nextInt(25)) {
            case 0 -> {
                head.append("Accept: text/html\r\n");
                twist = FuzzOracle.Twist.ACCEPT_HTML;
            }
            case 1 -> {
                head.append("X-Filler: ").append("f".repeat(r.nextInt(20_000))).append("\r\n");
                twist = FuzzOracle.Twist.FILLER;
            }
            case 2 -> {
                body = "{\"events\": -1}";
                twist = FuzzOracle.Twist.JSON_BODY;
            }
            case 3 -> {
                head.append("Transfer-Encoding: chunked\r\n").append("Content-Length: 3\r\n");
                twist = FuzzOracle.Twist.CHUNKED_AND_LENGTH;
            }
            case 4 -> {
                head.append("Content-Length: -5\r\n");
                twist = FuzzOracle.Twist.NEGATIVE_LENGTH;
            }
            case 5 -> {
                head.append("Bad header line\r\n");
                twist = FuzzOracle.Twist.BAD_HEADER_LINE;
            }
            case 6 -> {
                head.append("X-Bytes: \u00ff\u00fe\u0001\r\n");
                twist = FuzzOracle.Twist.CONTROL_BYTE;
            }
            default -> { }
        }
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        if (body != null) {
            head.append(body);
        }
        byte[] bytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        String shown = head.length() > 300 ? head.substring(0, 300) + "...(" + head.length() + " chars)" : head.toString();
        FuzzOracle.Request request = new FuzzOracle.Request(method, doubleSpace, target.toString(), version, host,
                List.copyOf(authorizations), twist, bytes);
        return new Generated(bytes, method.equals("HEAD"), shown.replace(secret == null ? "\u0000" : secret, "<secret>"),
                request);
    }

    /** The Authorization header values to send (none, one, or two), each as it follows "Authorization:". */
    private void authorization(Random r, List<String> values) {
        if (secret == null) {
            if (r.nextInt(10) == 0) {
                values.add("Bearer " + value(r));
            }
            return;
        }
        switch (r.nextInt(20)) {
            case 0 -> { } // none
            case 1 -> values.add("Bearer " + secret.substring(0, secret.length() - 1));
            case 2 -> values.add("Bearer " + secret + "x");
            case 3 -> values.add("Basic " + secret);
            case 4 -> values.add("bearer " + secret);
            case 5 -> values.addAll(List.of("Bearer " + secret, "Bearer " + secret));
            case 6 -> values.add("Bearer " + value(r));
            case 7 -> values.add("Bearer " + "A".repeat(r.nextInt(10_000)));
            case 8 -> values.add("Bearer \u00e9" + secret);
            case 9 -> values.add("");
            default -> values.add("Bearer " + secret);
        }
    }

    /**
     * Tokens around the log's positions (below the horizon, between transactions, ahead of the relay but not of the
     * writer, ahead of the writer), small timeouts and limits, now and then one odd value or parameter.
     */
    private String readerQuery(Random r) {
        StringBuilder q = new StringBuilder();
        for (String stream : List.of("events", "receipts")) {
            if (r.nextBoolean() || q.length() == 0) {
                q.append(q.length() == 0 ? "" : "&").append(stream).append('=').append(switch (r.nextInt(8)) {
                    case 0 -> "-1";
                    case 1 -> "now";
                    case 2 -> "0/" + Integer.toHexString(100 * r.nextInt(2_000)).toUpperCase();
                    case 3 -> Long.toString(100L * r.nextInt(2_000) + r.nextInt(2) * 50);
                    case 4 -> Long.toString(r.nextInt(100)); // below the horizon: 410
                    case 5 -> r.nextBoolean() ? Long.toString(writer + 1 + r.nextInt(1_000_000)) // ahead of the writer
                            : Position.formatLsn(writer + 1 + r.nextInt(1_000_000));
                    default -> Long.toString(100L * r.nextInt(2_000));
                });
            }
        }
        if (r.nextBoolean()) {
            q.append("&timeout=").append(r.nextInt(4) == 0 ? Long.toString(r.nextLong() & Long.MAX_VALUE)
                    : Integer.toString(r.nextInt(150)));
        }
        if (r.nextBoolean()) {
            q.append("&limit=").append(r.nextInt(4) == 0 ? "99999999999" : Integer.toString(1 + r.nextInt(5)));
        }
        if (r.nextInt(10) == 0) {
            q.append("&streams=-1");
        }
        if (r.nextInt(4) == 0) {
            q.append('&').append(pick(r, KEYS)).append('=').append(value(r));
        }
        return q.toString();
    }

    private String query(Random r) {
        int n = r.nextInt(6);
        StringBuilder q = new StringBuilder();
        boolean named = false;
        for (int k = 0; k < n || !named && r.nextInt(3) != 0; k++) {
            String key = pick(r, KEYS);
            named |= key.equals("events") || key.equals("receipts");
            if (q.length() > 0) {
                q.append(r.nextInt(25) == 0 ? "&&" : r.nextInt(25) == 0 ? ";" : "&");
            }
            q.append(key);
            if (r.nextInt(20) != 0) {
                q.append('=').append(value(r));
            }
            if (r.nextInt(12) == 0) { // repeated parameter
                q.append('&').append(key).append('=').append(value(r));
            }
            if (k > 20) {
                break;
            }
        }
        if (r.nextInt(30) == 0) {
            q.append('&');
        }
        if (r.nextInt(60) == 0) { // longer than the relay accepts, or even than Jetty does
            q.append("&epoch=").append("e".repeat(3_000 + r.nextInt(30_000)));
        }
        return q.toString();
    }

    private static String value(Random r) {
        return switch (r.nextInt(30)) {
            case 0 -> "-1";
            case 1 -> "now";
            case 2 -> Long.toString(r.nextInt(3_000));
            case 3 -> Long.toString(-r.nextInt(1_000_000) - 2);
            case 4 -> "9223372036854775807";
            case 5 -> "9223372036854775808";
            case 6 -> "-9223372036854775808";
            case 7 -> "1" + "0".repeat(r.nextInt(60));
            case 8 -> "0/" + Integer.toHexString(r.nextInt(5_000)).toUpperCase();
            case 9 -> Integer.toHexString(r.nextInt()) + "/" + Integer.toHexString(r.nextInt());
            case 10 -> "0/";
            case 11 -> "1.5";
            case 12 -> "1e3";
            case 13 -> "0x10";
            case 14 -> "";
            case 15 -> "%zz";
            case 16 -> "%";
            case 17 -> "%00";
            case 18 -> "%C3%28"; // invalid UTF-8
            case 19 -> "%FF%FE";
            case 20 -> "+1";
            case 21 -> " 1";
            case 22 -> "%2D1"; // -1, encoded
            case 23 -> "\u00e9\u00ff";
            case 24 -> "0%2F10";
            case 25 -> "a".repeat(r.nextInt(500));
            case 26 -> "1,2";
            case 27 -> "[1]";
            case 28 -> Long.toString(r.nextInt(100));
            default -> randomBytes(r);
        };
    }

    private static String randomBytes(Random r) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int n = 1 + r.nextInt(12);
        for (int i = 0; i < n; i++) {
            int c = 0x21 + r.nextInt(0xff - 0x21);
            if (c == '#' || c == ' ' || c == 0x7f) {
                c = 'x';
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static <T> T pick(Random r, List<T> list) {
        return list.get(r.nextInt(list.size()));
    }
}

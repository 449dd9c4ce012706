package io.synrep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code synrep tail}: a minimal reader. Long-polls the relay and prints one JSON object per row:
 * {@code {"stream":…,"position":…,"row":{field: value,…}}}.
 */
final class TailCommand {
    static final String HELP = """
            Usage: synrep tail --url http://HOST:PORT [options]

            Long-polls GET /_synapse/replication and prints one JSON line per row:
              {"stream":"events","position":23924640,"row":{"stream_ordering":17,...}}
            On 410 (token too old) or an epoch change it says so on stderr and continues from the
            earliest retained position. On errors it backs off and retries.

            Options:
              --url URL        the relay, e.g. http://127.0.0.1:9099
              --streams a,b    streams to follow (default: all the relay serves)
              --from TOKEN     start token for every stream: -1 (oldest retained), now (default),
                               a position, or an LSN like 0/16B3748
              --limit N        rows per stream per request (default 100)
              --timeout-ms N   long-poll hold time (default 30000)
              --count N        exit after printing N rows (default: run until Ctrl-C)
              --relay-secret-file F  send 'Authorization: Bearer <F's content>' (default:
                               $SYNREP_RELAY_SECRET; neither: no secret)
              --relay-ca FILE  trust only these PEM certificates for an https:// relay
              --help           this text
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private TailCommand() {}

    static int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse("tail", argv, Set.of("url", "streams", "from", "limit", "timeout-ms", "count",
                "relay-secret-file", "relay-ca"));
        String url = a.get("url", null);
        if (url == null) {
            throw new Args.UsageException("tail: --url is required, e.g. --url http://127.0.0.1:9099");
        }
        URI base;
        try {
            base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (base.getScheme() == null || !base.getScheme().startsWith("http") || base.getHost() == null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("tail: --url must be http://HOST:PORT, was '" + url + "'");
        }
        String ca = a.get("relay-ca", null);
        Tail tail = new Tail(base, a.get("from", "now"), (int) a.getLong("limit", 100, 1, 100_000),
                a.getLong("timeout-ms", 30_000, 0, 3_600_000), a.getLong("count", Long.MAX_VALUE, 1, Long.MAX_VALUE),
                out, err, RelayTrust.client("tail", ca == null ? null : java.nio.file.Path.of(ca)),
                SecretFile.read("tail", a, "relay-secret-file", SecretFile.RELAY_ENV));
        String streams = a.get("streams", null);
        return tail.run(streams == null ? null : List.of(streams.split(",")), () -> false);
    }

    /** The poll loop, reusable by the demo. */
    static final class Tail {
        private final HttpClient http;
        private final String authorization;
        private final URI base;
        private final String from;
        private final int limit;
        private final long timeoutMs;
        private final long count;
        private final PrintStream out;
        private final PrintStream err;

        /** @param secret the relay's bearer secret, or null */
        Tail(URI base, String from, int limit, long timeoutMs, long count, PrintStream out, PrintStream err,
             HttpClient http, String secret) {
            this.http = http;
            this.authorization = secret == null ? null : "Bearer " + secret;
            this.base = base;
            this.from = from;
            this.limit = limit;
            this.timeoutMs = timeoutMs;
            this.count = count;
            this.out = out;
            this.err = err;
        }

        int run(List<String> wanted, java.util.function.BooleanSupplier stop) throws InterruptedException {
            Map<String, String> tokens = new LinkedHashMap<>();
            String epoch = null;
            long printed = 0;
            long backoff = 100;
            List<String> streams = wanted;
            while (!stop.getAsBoolean() && printed < count) {
                try {
                    if (streams == null) {
                        streams = discover();
                    }
                    if (tokens.isEmpty()) {
                        for (String s : streams) {
                            tokens.put(s, from);
                        }
                    }
                    StringBuilder q = new StringBuilder("/_synapse/replication?timeout=").append(timeoutMs)
                            .append("&limit=").append(limit);
                    tokens.forEach((s, t) -> q.append('&').append(enc(s)).append('=').append(enc(t)));
                    HttpResponse<byte[]> resp = http.send(authorized(HttpRequest.newBuilder(base.resolve(q.toString()))
                                    .timeout(Duration.ofMillis(timeoutMs + 30_000)).GET()),
                            HttpResponse.BodyHandlers.ofByteArray());
                    String respEpoch = resp.headers().firstValue("Synrep-Epoch").orElse(null);
                    if (epoch != null && respEpoch != null && !epoch.equals(respEpoch)) {
                        err.println("tail: epoch changed from " + epoch + " to " + respEpoch + "; resyncing from -1");
                        tokens.replaceAll((s, t) -> "-1");
                        epoch = respEpoch;
                        continue;
                    }
                    epoch = respEpoch;
                    JsonNode body = JSON.readTree(resp.body());
                    if (resp.statusCode() == 410) {
                        String earliest = body.path("earliest").asText();
                        err.println("tail: " + body.path("error").asText() + "; continuing from " + earliest);
                        tokens.replaceAll((s, t) -> earliest);
                        continue;
                    }
                    if (resp.statusCode() != 200) {
                        err.println("tail: HTTP " + resp.statusCode() + " " + body.path("errcode").asText() + ": "
                                + body.path("error").asText());
                        if (resp.statusCode() == 400 || resp.statusCode() == 401) {
                            return 1;
                        }
                        Thread.sleep(backoff);
                        backoff = Math.min(backoff * 2, 10_000);
                        continue;
                    }
                    backoff = 100;
                    for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        JsonNode s = e.getValue();
                        List<String> names = new ArrayList<>();
                        s.path("field_names").forEach(n -> names.add(n.asText()));
                        for (JsonNode row : s.path("rows")) {
                            if (printed >= count) {
                                break;
                            }
                            ObjectNode line = JSON.createObjectNode();
                            line.put("stream", e.getKey());
                            line.set("position", row.get(0));
                            ObjectNode fields = line.putObject("row");
                            for (int i = 1; i < names.size(); i++) {
                                fields.set(names.get(i), row.get(i));
                            }
                            out.println(line);
                            printed++;
                        }
                        tokens.put(e.getKey(), s.path("position").asText());
                    }
                    out.flush();
                } catch (IOException e) {
                    err.println("tail: " + e.getMessage() + "; retrying in " + backoff + " ms");
                    Thread.sleep(backoff);
                    backoff = Math.min(backoff * 2, 10_000);
                }
            }
            return 0;
        }

        private List<String> discover() throws IOException, InterruptedException {
            HttpResponse<byte[]> resp = http.send(authorized(HttpRequest.newBuilder(base.resolve(
                    "/_synapse/replication?streams=-1&timeout=0")).GET()), HttpResponse.BodyHandlers.ofByteArray());
            if (resp.statusCode() == 401) {
                throw new Relay.StartupException("the relay refused the request (401 "
                        + JSON.readTree(resp.body()).path("errcode").asText() + "): give its secret with"
                        + " --relay-secret-file or $" + SecretFile.RELAY_ENV);
            }
            if (resp.statusCode() != 200) {
                throw new IOException("relay answered " + resp.statusCode() + " to the stream list request");
            }
            List<String> names = new ArrayList<>();
            JSON.readTree(resp.body()).path("streams").path("rows").forEach(r -> names.add(r.get(0).asText()));
            return names;
        }

        private HttpRequest authorized(HttpRequest.Builder b) {
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            return b.build();
        }

        private static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }
    }
}

package io.synrep.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synrep.Relay;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import io.synrep.protocol.Backoff;
import io.synrep.protocol.Endpoint;
import io.synrep.protocol.ErrorAnswer;
import io.synrep.protocol.PollAnswer;
import io.synrep.protocol.Position;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code synrep tail}: a {@link ReplicationClient} that prints one JSON object per row:
 * {@code {"stream":…,"position":…,"row":{field: value,…}}}.
 */
final class TailCommand {
    static final String HELP = """
            Usage: synrep tail --url http://HOST:PORT [options]

            Long-polls GET /_synapse/replication and prints one JSON line per row:
              {"stream":"events","position":23924640,"row":{"stream_ordering":17,...}}
            It is a reader like any other (the reader library's ReplicationClient): rows come in position
            order across streams; on 410 (token too old), an epoch change or a token ahead of the relay's
            writer it says so on stderr and continues from the earliest retained position; on errors it
            backs off and retries. A refused request (400, 401) or a stream the relay does not serve ends it
            with exit code 1.

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
        String from;
        try {
            from = Position.canonicalToken(a.get("from", Position.NOW_TOKEN));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("tail: --from must be now, -1, a position or an LSN like 0/16B3748: "
                    + e.getMessage());
        }
        String ca = a.get("relay-ca", null);
        Tail tail = new Tail(base, from, (int) a.getLong("limit", 100, 1, 100_000),
                a.getLong("timeout-ms", 30_000, 0, 3_600_000), a.getLong("count", Long.MAX_VALUE, 1, Long.MAX_VALUE),
                out, err, RelayTrust.client("tail", ca == null ? null : java.nio.file.Path.of(ca)),
                SecretFile.read("tail", a, "relay-secret-file", SecretFile.RELAY_ENV));
        String streams = a.get("streams", null);
        return tail.run(streams == null ? null : List.of(streams.split(",")), () -> false);
    }

    /** A reader that prints, reusable by the demo. */
    static final class Tail {
        /** The client reports resyncs through the hook below; its own log lines would say the same again. */
        private static final Logger CLIENT_LOG = Logger.getLogger(ReplicationClient.class.getName());

        private final HttpClient http;
        private final String secret;
        private final URI base;
        private final String from;
        private final int limit;
        private final long timeoutMs;
        private final long count;
        private final PrintStream out;
        private final PrintStream err;

        /**
         * @param from   the start token of every stream (see {@link ReplicationClient.Builder#from})
         * @param secret the relay's bearer secret, or null
         */
        Tail(URI base, String from, int limit, long timeoutMs, long count, PrintStream out, PrintStream err,
             HttpClient http, String secret) {
            this.http = http;
            this.secret = secret;
            this.base = base;
            this.from = from;
            this.limit = limit;
            this.timeoutMs = timeoutMs;
            this.count = count;
            this.out = out;
            this.err = err;
        }

        /**
         * Prints rows of {@code wanted} (null: every stream the relay serves) until {@code count} rows were printed
         * or {@code stop} says so (asked every 100 ms).
         *
         * @return 0, or 1 when the relay refused the requests or does not serve a wanted stream
         */
        int run(List<String> wanted, BooleanSupplier stop) throws InterruptedException {
            List<String> streams = wanted != null ? wanted : discover(stop);
            if (streams == null) {
                return 0;
            }
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<String> failure = new AtomicReference<>();
            Printer printer = new Printer(done);
            ReplicationClient.Builder b = ReplicationClient.builder(base).from(from).limit(limit)
                    .pollTimeout(Duration.ofMillis(timeoutMs)).httpClient(http).bearerSecret(secret)
                    .onResyncReason(why -> err.println("tail: " + why))
                    .onRefused(r -> {
                        failure.compareAndSet(null, r.status() == 401 ? refusedSecret(r.status(), r.errcode())
                                : r.message());
                        done.countDown();
                    })
                    .onMissingStreams(missing -> {
                        if (!missing.isEmpty()) {
                            failure.compareAndSet(null, "the relay does not serve " + missing);
                            done.countDown();
                        }
                    });
            for (String s : streams) {
                b.on(s, printer::print);
            }
            Level level = CLIENT_LOG.getLevel();
            CLIENT_LOG.setLevel(Level.SEVERE);
            try (ReplicationClient client = b.build().start()) {
                while (!done.await(100, TimeUnit.MILLISECONDS)) {
                    if (stop.getAsBoolean()) {
                        break;
                    }
                }
            } finally {
                CLIENT_LOG.setLevel(level);
            }
            out.flush();
            if (failure.get() != null) {
                err.println("tail: " + failure.get());
                return 1;
            }
            return 0;
        }

        /** Prints rows on the reader thread, up to {@code count}. */
        private final class Printer {
            private final CountDownLatch done;
            private long printed;

            Printer(CountDownLatch done) {
                this.done = done;
            }

            void print(Row row) {
                if (printed >= count) {
                    return;
                }
                List<Object> values = row.values();
                ObjectNode line = JSON.createObjectNode();
                line.put("stream", row.stream());
                line.set("position", JSON.valueToTree(values.get(0)));
                ObjectNode fields = line.putObject("row");
                List<String> names = row.fieldNames();
                for (int i = 1; i < names.size(); i++) {
                    fields.set(names.get(i), JSON.valueToTree(i < values.size() ? values.get(i) : null));
                }
                out.println(line);
                out.flush();
                if (++printed >= count) {
                    done.countDown();
                }
            }
        }

        /** The streams the relay serves, from its meta stream; retried with backoff until it answers or stop. */
        private List<String> discover(BooleanSupplier stop) throws InterruptedException {
            Backoff backoff = new Backoff(100, 10_000, 0.5);
            while (!stop.getAsBoolean()) {
                try {
                    return servedStreams();
                } catch (IOException e) {
                    long wait = backoff.nextDelayMillis();
                    err.println("tail: " + e.getMessage() + "; retrying in " + wait + " ms");
                    Thread.sleep(wait);
                }
            }
            return null;
        }

        private List<String> servedStreams() throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(Endpoint.metaStreamPath())).GET();
            if (secret != null) {
                request.header(Endpoint.AUTHORIZATION_HEADER, Endpoint.bearer(secret));
            }
            HttpResponse<byte[]> resp = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (resp.statusCode() == 401) {
                throw new Relay.StartupException(refusedSecret(401,
                        JSON.readTree(resp.body()).path(ErrorAnswer.ERRCODE).asText()));
            }
            if (resp.statusCode() != 200) {
                throw new IOException("relay answered " + resp.statusCode() + " to the stream list request");
            }
            List<String> names = new ArrayList<>();
            JSON.readTree(resp.body()).path(Endpoint.META_STREAM).path(PollAnswer.ROWS)
                    .forEach(r -> names.add(r.get(0).asText()));
            return names;
        }

        private static String refusedSecret(int status, String errcode) {
            return "the relay refused the request (" + status + " " + errcode + "): give its secret with"
                    + " --relay-secret-file or $" + SecretFile.RELAY_ENV;
        }
    }
}

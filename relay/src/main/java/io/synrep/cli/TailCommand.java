package io.synrep.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synrep.Relay;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import io.synrep.config.Resolved;
import io.synrep.config.Setting;
import io.synrep.config.WorkerSettings;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    static final Setting<URI> URL = Setting.of("url", "URL", URI.class, null, TailCommand::relay, URI::toString,
            "the relay, e.g. http://127.0.0.1:9099 (required)");
    static final Setting<String> STREAMS = Setting.text("streams", "a,b", null,
            "streams to follow (default: all the relay serves)");
    static final Setting<String> FROM = Setting.text("from", "TOKEN", Position.NOW_TOKEN, WorkerSettings::token,
            "start token for every stream: -1 (oldest retained), now, a position, or an LSN like 0/16B3748");
    static final Setting<Long> LIMIT = Setting.integer("limit", 100, 1, 100_000, "rows per stream per request");
    static final Setting<Long> TIMEOUT_MS = Setting.integer("timeout-ms", 30_000, 0, 3_600_000, "long-poll hold time");
    static final Setting<Long> COUNT = Setting.integer("count", Long.MAX_VALUE, 1, Long.MAX_VALUE,
            "exit after printing N rows (default: run until Ctrl-C)").shownDefault("");
    static final Setting<Path> RELAY_SECRET_FILE = Setting.path("relay-secret-file", "FILE", null,
            "send 'Authorization: Bearer <FILE's content>' (default: $SYNREP_RELAY_SECRET; neither: no secret)");
    static final Setting<Path> RELAY_CA = Setting.path("relay-ca", "FILE", null,
            "trust only these PEM certificates for an https:// relay");

    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("tail",
            List.of("a reader printing every row it receives as one JSON line"), "--url http://HOST:PORT [options]",
            List.of("Long-polls GET /_synapse/replication and prints one JSON line per row:",
                    "  {\"stream\":\"events\",\"position\":23924640,\"row\":{\"stream_ordering\":17,...}}",
                    "It is a reader like any other (the reader library's ReplicationClient): rows come in position",
                    "order across streams; on 410 (token too old), an epoch change or a token ahead of the relay's",
                    "writer it says so on stderr and continues from the earliest retained position; on errors it",
                    "backs off and retries. A refused request (400, 401) or a stream the relay does not serve ends it",
                    "with exit code 1."),
            "Options:", List.of(URL, STREAMS, FROM, LIMIT, TIMEOUT_MS, COUNT, RELAY_SECRET_FILE, RELAY_CA), List.of(),
            null);

    private static final ObjectMapper JSON = new ObjectMapper();

    private TailCommand() {}

    static int run(Resolved r, PrintStream out, PrintStream err) throws Exception {
        URI base = r.get(URL);
        if (base == null) {
            throw new UsageException("tail: --url is required, e.g. --url http://127.0.0.1:9099");
        }
        Tail tail = new Tail(base, r.get(FROM), r.get(LIMIT).intValue(), r.get(TIMEOUT_MS), r.get(COUNT), out, err,
                RelayTrust.client("tail", r.get(RELAY_CA)),
                SecretFile.read(r, RELAY_SECRET_FILE, null, SecretFile.RELAY_ENV));
        String streams = r.get(STREAMS);
        return tail.run(streams == null ? null : List.of(streams.split(",")), () -> false);
    }

    private static URI relay(String url) {
        try {
            URI base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (base.getScheme() == null || !base.getScheme().startsWith("http") || base.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return base;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be http://HOST:PORT, was '" + url + "'");
        }
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

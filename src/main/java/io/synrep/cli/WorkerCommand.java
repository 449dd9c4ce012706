package io.synrep.cli;

import io.synrep.client.TokenStore;
import io.synrep.config.ConfigKey;
import io.synrep.config.ConfigKeys;
import io.synrep.config.Secret;
import io.synrep.http.PemKeys;
import io.synrep.worker.Worker;
import java.net.http.HttpClient;
import io.synrep.protocol.Position;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code synrep worker}: a reader process with slaved stores and a small read API. */
final class WorkerCommand {
    static final String HELP = """
            Usage: synrep worker --relay URL --pg-url URL [options]

            Runs a reader like a Synapse worker: follows the relay's streams (those of the built-in
            catalog matching the database's Synapse schema, seed-era or current, that the relay
            serves), keeps Caffeine caches over reads of the shared database (events, memberships,
            receipts, account data, tags, push rules, pushers, presence) that the stream rows
            invalidate, and serves them as JSON. Once the worker has processed position P, no answer
            is older than what the writer had committed at P; every answer carries "position", the
            worker's position observed before the read began. Prints "Synrep worker serving
            http://HOST:PORT/" once serving and a progress line every 10 s on stderr. Stops cleanly
            on Ctrl-C / SIGTERM.

            Options (each also as SYNREP_<NAME> in the environment or 'name = value' in the --config
            file; the command line wins over the environment, which wins over the file):
            """ + ConfigKeys.help(ConfigKeys.WORKER) + """
              --help                  this text

            Read API (GET, JSON; errors are {"errcode","error"}; ids as path segments). Reads answer
            503 M_UNAVAILABLE until the worker has followed the relay once, and when the relay does
            not serve a stream the read depends on (its cache would never be invalidated):
              /position                              {"position","epoch","resyncs","rows","errors",...}
              /health                                200 when following every stream, else 503 and why
              /events/{event_id}                     {"position","event"}, 404 M_NOT_FOUND if absent
              /rooms/{room}/latest_events?limit=N    newest first by stream ordering (default 20)
              /rooms/{room}/receipts                 every user's receipts in the room
              /users/{user}/rooms                    the user's memberships (room_id, membership, ...)
              /users/{user}/receipts                 the user's receipts
              /users/{user}/account_data[?type=T]    global account data, all or one type
              /users/{user}/account_data/{type}      one type, 404 M_NOT_FOUND if absent
              /users/{user}/rooms/{room}/account_data
              /users/{user}/tags                     room -> tag -> content
              /users/{user}/push_rules               the user's push rules and enabled flags
              /users/{user}/pushers  and  /pushers   a user's pushers, every pusher
              /users/{user}/presence                 latest presence or null
              /rooms/{room}/changed_since/{P}        {"changed": may it have changed after P?}
              /users/{user}/changed_since/{P}
              /users/{user}/devices/{device}/changed_since/{P}
              /caches                                each cache's size, hits, loads
              /openapi.json                          OpenAPI 3.1 document of this API
            """;

    static final Set<String> OPTIONS = Args.known(ConfigKeys.WORKER);

    private WorkerCommand() {}

    static int run(List<String> argv, Map<String, String> env, PrintStream out) throws Exception {
        Worker.Settings settings = settings(Args.resolve("worker", argv, env));
        Worker worker = Worker.start(settings);
        String scheme = settings.apiTlsCert() == null ? "http" : "https";
        out.println("Synrep worker serving " + scheme + "://" + settings.host() + ":" + worker.port() + "/");
        out.println("  try: curl " + (settings.apiAuth() == null ? "" : "-H \"Authorization: Bearer $SYNREP_AUTH_SECRET\" ")
                + scheme + "://" + settings.host() + ":" + worker.port() + "/position");
        out.flush();
        ServeCommand.awaitShutdown(() -> false, worker);
        return 0;
    }

    static Worker.Settings settings(Args a) {
        URI relay = relay(a);
        String pgUrl = a.get("pg-url", null);
        if (pgUrl == null) {
            throw new Args.UsageException("worker: --pg-url is required (or SYNREP_PG_URL): the writer's database, as the relay's");
        }
        if (!pgUrl.startsWith("jdbc:postgresql://")) {
            throw new Args.UsageException("worker: " + a.label("pg-url") + " must look like jdbc:postgresql://HOST:PORT/DB, was "
                    + ConfigKey.maskUrlPassword(pgUrl));
        }
        String listen = a.get("listen", "127.0.0.1:9100");
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new Args.UsageException("worker: " + a.label("listen") + " must be HOST:PORT, was '" + listen + "'");
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new Args.UsageException("worker: " + a.label("listen") + " port must be 0..65535, was '"
                    + listen.substring(colon + 1) + "'");
        }
        String name = a.get("name", "worker");
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new Args.UsageException("worker: " + a.label("name") + " must be 1-64 letters, digits, '_', '.' or '-', was '"
                    + name + "'");
        }
        String relaySecret = SecretFile.read("worker", a, "relay-secret-file", SecretFile.RELAY_ENV);
        String ca = a.get("relay-ca", null);
        HttpClient relayClient = RelayTrust.client("worker", ca == null ? null : Path.of(ca));
        Secret apiAuth = SecretFile.required("worker", a, "auth-secret-file", SecretFile.AUTH_ENV);
        String cert = a.get("tls-cert", null);
        String key = a.get("tls-key", null);
        if ((cert == null) != (key == null)) {
            throw new Args.UsageException("worker: give both --tls-cert and --tls-key, or neither");
        }
        if (cert != null) {
            try {
                PemKeys.keyStore(Path.of(cert), Path.of(key), "check".toCharArray());
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("worker: " + e.getMessage());
            }
        }
        return new Worker.Settings(relay, pgUrl, listen.substring(0, colon), port, name, tokens(a, pgUrl, name),
                from(a), a.getLong("cache-size", 100_000, 1, 1_000_000_000),
                (int) a.getLong("pool-size", 8, 1, 256), pollTimeout(a), relaySecret, relayClient, apiAuth,
                cert == null ? null : Path.of(cert), key == null ? null : Path.of(key));
    }

    private static URI relay(Args a) {
        String url = a.get("relay", null);
        if (url == null) {
            throw new Args.UsageException("worker: --relay is required (or SYNREP_RELAY), e.g. --relay http://127.0.0.1:9099");
        }
        try {
            URI u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("worker: " + a.label("relay") + " must be http://HOST:PORT or https://HOST:PORT, "
                    + "was '" + url + "'");
        }
    }

    private static TokenStore tokens(Args a, String pgUrl, String name) {
        if (a.flag("token-table")) {
            if (a.has("tokens")) {
                throw new Args.UsageException("worker: give --tokens or --token-table, not both");
            }
            return TokenStore.table(pgUrl, name);
        }
        String file = a.get("tokens", "synrep-worker-" + name + ".tokens.json");
        return file.equals("memory") ? TokenStore.inMemory() : TokenStore.file(Path.of(file));
    }

    private static String from(Args a) {
        String token = a.get("from", Position.NOW_TOKEN);
        try {
            return Position.canonicalToken(token);
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new Args.UsageException("worker: " + a.label("from") + " must be now, -1, a position or an LSN like 0/16B3748, was '"
                + token + "'");
    }

    private static Duration pollTimeout(Args a) {
        Duration d = a.getDuration("poll-timeout", Duration.ofSeconds(5));
        if (d.toMillis() < 1 || d.toMinutes() > 60) {
            throw new Args.UsageException("worker: " + a.label("poll-timeout") + " must be between 1ms and 60m, was " + d);
        }
        return d;
    }
}

package io.synrep.cli;

import io.synrep.client.TokenStore;
import io.synrep.config.HostPort;
import io.synrep.config.Resolved;
import io.synrep.config.Secret;
import io.synrep.http.PemKeys;
import io.synrep.worker.Worker;
import java.net.http.HttpClient;
import io.synrep.protocol.Position;
import io.synrep.config.WorkerSettings;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** {@code synrep worker}: a reader process with slaved stores and a small read API. */
final class WorkerCommand {
    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("worker",
            List.of("a reader with slaved stores (cached reads of the shared database) and a read API"),
            "--relay URL --pg-url URL [options]",
            List.of(
                    "Runs a reader like a Synapse worker: follows the relay's streams (those of the built-in",
                    "catalog matching the database's Synapse schema, seed-era or current, that the relay",
                    "serves), keeps Caffeine caches over reads of the shared database (events, memberships,",
                    "receipts, account data, tags, push rules, pushers, presence) that the stream rows",
                    "invalidate, and serves them as JSON. Once the worker has processed position P, no answer",
                    "is older than what the writer had committed at P; every answer carries \"position\", the",
                    "worker's position observed before the read began. Prints \"Synrep worker serving",
                    "http://HOST:PORT/\" once serving and a progress line every 10 s on stderr. Stops cleanly",
                    "on Ctrl-C / SIGTERM."),
            "Options (each also as SYNREP_<NAME> in the environment or 'name = value' in the --config\n"
                    + "file; the command line wins over the environment, which wins over the file):",
            WorkerSettings.KEYS,
            List.of(
                    "",
                    "Read API (GET, JSON; errors are {\"errcode\",\"error\"}; ids as path segments). Reads answer",
                    "503 M_UNAVAILABLE until the worker has followed the relay once, and when the relay does",
                    "not serve a stream the read depends on (its cache would never be invalidated):",
                    "  /position                              {\"position\",\"epoch\",\"resyncs\",\"rows\",\"errors\",...}",
                    "  /health                                200 when following every stream, else 503 and why",
                    "  /events/{event_id}                     {\"position\",\"event\"}, 404 M_NOT_FOUND if absent",
                    "  /rooms/{room}/latest_events?limit=N    newest first by stream ordering (default 20)",
                    "  /rooms/{room}/receipts                 every user's receipts in the room",
                    "  /users/{user}/rooms                    the user's memberships (room_id, membership, ...)",
                    "  /users/{user}/receipts                 the user's receipts",
                    "  /users/{user}/account_data[?type=T]    global account data, all or one type",
                    "  /users/{user}/account_data/{type}      one type, 404 M_NOT_FOUND if absent",
                    "  /users/{user}/rooms/{room}/account_data",
                    "  /users/{user}/tags                     room -> tag -> content",
                    "  /users/{user}/push_rules               the user's push rules and enabled flags",
                    "  /users/{user}/pushers  and  /pushers   a user's pushers, every pusher",
                    "  /users/{user}/presence                 latest presence or null",
                    "  /rooms/{room}/changed_since/{P}        {\"changed\": may it have changed after P?}",
                    "  /users/{user}/changed_since/{P}",
                    "  /users/{user}/devices/{device}/changed_since/{P}",
                    "  /caches                                each cache's size, hits, loads",
                    "  /openapi.json                          OpenAPI 3.1 document of this API"),
            "worker");

    private WorkerCommand() {}

    static int run(Resolved r, PrintStream out) throws Exception {
        Worker.Settings settings = settings(r);
        Worker worker = Worker.start(settings);
        String scheme = settings.apiTlsCert() == null ? "http" : "https";
        out.println("Synrep worker serving " + scheme + "://" + settings.host() + ":" + worker.port() + "/");
        out.println("  try: curl " + (settings.apiAuth() == null ? "" : "-H \"Authorization: Bearer $SYNREP_AUTH_SECRET\" ")
                + scheme + "://" + settings.host() + ":" + worker.port() + "/position");
        out.flush();
        ServeCommand.awaitShutdown(() -> false, worker);
        return 0;
    }

    /** The settings of a {@code worker} command line with this environment. */
    static Worker.Settings parse(List<String> argv, Map<String, String> env) {
        long heap = Runtime.getRuntime().maxMemory();
        CommandLine cl = CommandLines.of(DEFINITION, env, heap);
        try {
            return settings(CommandLines.resolve(cl.parseArgs(argv.toArray(String[]::new)), "worker",
                    WorkerSettings.KEYS, heap));
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(CommandLines.message(e));
        }
    }

    /** Checks what the table cannot check alone (required keys, secrets, TLS, the token store) and builds the settings. */
    static Worker.Settings settings(Resolved r) {
        URI relay = r.get(WorkerSettings.RELAY);
        if (relay == null) {
            throw new UsageException("worker: --relay is required (or SYNREP_RELAY), e.g. --relay http://127.0.0.1:9099");
        }
        String pgUrl = r.get(WorkerSettings.PG_URL);
        if (pgUrl == null) {
            throw new UsageException("worker: --pg-url is required (or SYNREP_PG_URL): the writer's database, as the relay's");
        }
        HostPort listen = r.get(WorkerSettings.LISTEN);
        String name = r.get(WorkerSettings.NAME);
        String relaySecret = SecretFile.read(r, WorkerSettings.RELAY_SECRET_FILE, WorkerSettings.RELAY_SECRET,
                SecretFile.RELAY_ENV);
        HttpClient relayClient = RelayTrust.client("worker", r.get(WorkerSettings.RELAY_CA));
        Secret apiAuth = SecretFile.required(r, WorkerSettings.AUTH_SECRET_FILE, WorkerSettings.AUTH_SECRET,
                SecretFile.AUTH_ENV);
        Path cert = r.get(WorkerSettings.TLS_CERT);
        Path key = r.get(WorkerSettings.TLS_KEY);
        ServeCommand.Options.checkTls("worker", cert, key);
        return new Worker.Settings(relay, pgUrl, listen.host(), listen.port(), name, tokens(r, pgUrl, name),
                r.get(WorkerSettings.FROM), r.get(WorkerSettings.CACHE_SIZE),
                r.get(WorkerSettings.POOL_SIZE).intValue(), r.get(WorkerSettings.POLL_TIMEOUT), relaySecret,
                relayClient, apiAuth, cert, key);
    }

    private static TokenStore tokens(Resolved r, String pgUrl, String name) {
        if (r.get(WorkerSettings.TOKEN_TABLE)) {
            if (r.given(WorkerSettings.TOKENS)) {
                throw new UsageException("worker: give --tokens or --token-table, not both");
            }
            return TokenStore.table(pgUrl, name);
        }
        String file = r.given(WorkerSettings.TOKENS) ? r.get(WorkerSettings.TOKENS)
                : "synrep-worker-" + name + ".tokens.json";
        return file.equals("memory") ? TokenStore.inMemory() : TokenStore.file(Path.of(file));
    }
}

package io.synrep.cli;

import io.synrep.Relay;
import io.synrep.capture.SlotSetup;
import io.synrep.streams.CatalogException;
import io.synrep.worker.Worker;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Dispatches {@code synrep <command>}. Exit codes: 0 success, 1 runtime failure (message printed, no stack
 * trace), 2 usage error.
 */
public final class Cli {
    static final String HELP = """
            Usage: synrep <command> [options]

            Commands:
              demo     embedded PostgreSQL + Synapse schema + writer + relay + tail, in one process
              prepare  what the writer's database needs before serve attaches (replica identities,
                       publications), as SQL; --apply runs it
              serve    the relay: WAL -> streams -> GET /_synapse/replication
              writer   a Synapse-like writer producing concurrent transactions
              tail     a reader printing every row it receives as one JSON line
              worker   a reader with slaved stores (cached reads of the shared database) and a read API
              config   print the effective configuration of serve or worker (secrets masked)
              bench    performance scenarios against an embedded PostgreSQL, with baselines, as one table

            Run 'synrep <command> --help' for a command's options.
            """;

    private Cli() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System.getenv());
    }

    /** As {@link #run(String[], PrintStream, PrintStream)} with the given environment ({@code SYNREP_*} keys). */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(HELP);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        String help = switch (command) {
            case "serve" -> ServeCommand.HELP;
            case "prepare" -> PrepareCommand.HELP;
            case "writer" -> WriterCommand.HELP;
            case "tail" -> TailCommand.HELP;
            case "demo" -> DemoCommand.HELP;
            case "worker" -> WorkerCommand.HELP;
            case "config" -> ConfigCommand.HELP;
            case "bench" -> BenchCommand.HELP;
            default -> null;
        };
        if (help == null) {
            err.println("synrep: unknown command '" + command + "'");
            err.print(HELP);
            return 2;
        }
        if (rest.contains("--help") || rest.contains("-h")) {
            out.print(help);
            return 0;
        }
        try {
            return switch (command) {
                case "serve" -> ServeCommand.run(rest, env, out);
                case "prepare" -> PrepareCommand.run(rest, env, out);
                case "config" -> ConfigCommand.run(rest, env, out);
                case "writer" -> WriterCommand.run(rest, out);
                case "tail" -> TailCommand.run(rest, out, err);
                case "worker" -> WorkerCommand.run(rest, env, out);
                case "bench" -> BenchCommand.run(rest, out);
                default -> DemoCommand.run(rest, out);
            };
        } catch (Args.UsageException e) {
            err.println("synrep " + e.getMessage());
            return 2;
        } catch (SlotSetup.SetupException | CatalogException | Relay.StartupException | Worker.StartupException e) {
            err.println("synrep " + command + ": " + oneLine(e.getMessage()));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (Exception e) {
            err.println("synrep " + command + ": " + oneLine(Relay.rootMessage(e)));
            return 1;
        }
    }

    /** PostgreSQL errors quoted in a message may carry Detail/Hint lines; the failure is reported on one line. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

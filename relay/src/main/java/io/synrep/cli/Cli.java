package io.synrep.cli;

import io.synrep.Relay;
import io.synrep.capture.SlotSetup;
import io.synrep.config.ConfigException;
import io.synrep.config.ServeSettings;
import io.synrep.config.Settings;
import io.synrep.config.WorkerSettings;
import io.synrep.streams.CatalogException;
import io.synrep.worker.Worker;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Dispatches {@code synrep <command>}: the command line is parsed by picocli, each command's options made from its
 * settings table ({@link CommandLines}). Exit codes: 0 success, 1 runtime failure (message printed, no stack trace), 2
 * usage error.
 */
public final class Cli {
    /** Every command, in the order {@code synrep --help} lists them. */
    static final List<CommandLines.Definition> COMMANDS = List.of(DemoCommand.DEFINITION, PrepareCommand.DEFINITION,
            ServeCommand.DEFINITION, WriterCommand.DEFINITION, TailCommand.DEFINITION, WorkerCommand.DEFINITION,
            ConfigCommand.DEFINITION, BenchCommand.DEFINITION);

    private Cli() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System.getenv());
    }

    /** As {@link #run(String[], PrintStream, PrintStream)} with the given environment ({@code SYNREP_*} keys). */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, out, err, env, Runtime.getRuntime().maxMemory());
    }

    /** As above in a JVM whose maximum heap is {@code maxHeapBytes} (the default of retention-bytes depends on it). */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, long maxHeapBytes) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(help());
            return args.length == 0 ? 2 : 0;
        }
        CommandLine synrep = commandLine(env, maxHeapBytes);
        ParseResult parsed;
        try {
            parsed = synrep.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            if (e.getCommandLine() == synrep) {
                err.println("synrep: unknown command '" + args[0] + "'");
                err.print(help());
            } else {
                err.println("synrep " + CommandLines.message(e));
            }
            return 2;
        }
        ParseResult command = parsed.subcommand();
        ParseResult leaf = command.hasSubcommand() ? command.subcommand() : command;
        if (leaf.isUsageHelpRequested()) {
            leaf.commandSpec().commandLine().usage(out, CommandLine.Help.Ansi.OFF);
            return 0;
        }
        String name = command.commandSpec().name();
        try {
            return switch (name) {
                case "serve" -> ServeCommand.run(CommandLines.resolve(command, "serve", ServeSettings.KEYS,
                        maxHeapBytes), out);
                case "worker" -> WorkerCommand.run(CommandLines.resolve(command, "worker", WorkerSettings.KEYS,
                        maxHeapBytes), out);
                case "prepare" -> PrepareCommand.run(CommandLines.resolve(command, "serve", PrepareCommand.OPTIONS,
                        maxHeapBytes), out);
                case "config" -> {
                    String target = leaf.commandSpec().name().equals("config") ? "serve" : leaf.commandSpec().name();
                    yield ConfigCommand.run(target, CommandLines.resolve(leaf, target, Settings.of(target),
                            maxHeapBytes), out);
                }
                case "writer" -> WriterCommand.run(resolve(command, WriterCommand.DEFINITION, maxHeapBytes), out);
                case "tail" -> TailCommand.run(resolve(command, TailCommand.DEFINITION, maxHeapBytes), out, err);
                case "bench" -> BenchCommand.run(resolve(command, BenchCommand.DEFINITION, maxHeapBytes), out);
                default -> DemoCommand.run(resolve(command, DemoCommand.DEFINITION, maxHeapBytes), out);
            };
        } catch (UsageException | ConfigException e) {
            err.println("synrep " + e.getMessage());
            return 2;
        } catch (SlotSetup.SetupException | CatalogException | Relay.StartupException | Worker.StartupException e) {
            err.println("synrep " + name + ": " + oneLine(e.getMessage()));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (Exception e) {
            err.println("synrep " + name + ": " + oneLine(Relay.rootMessage(e)));
            return 1;
        }
    }

    private static io.synrep.config.Resolved resolve(ParseResult command, CommandLines.Definition d, long heap) {
        return CommandLines.resolve(command, d.name(), d.options(), heap);
    }

    /** {@code synrep} and its commands; {@code config} has {@code serve} and {@code worker} below it. */
    private static CommandLine commandLine(Map<String, String> env, long maxHeapBytes) {
        CommandLine synrep = new CommandLine(CommandLine.Model.CommandSpec.create().name("synrep"));
        synrep.setExpandAtFiles(false);
        for (CommandLines.Definition d : COMMANDS) {
            CommandLine c = CommandLines.of(d, env, maxHeapBytes);
            if (d == ConfigCommand.DEFINITION) {
                c.addSubcommand("serve", CommandLines.of(ServeCommand.DEFINITION, env, maxHeapBytes));
                c.addSubcommand("worker", CommandLines.of(WorkerCommand.DEFINITION, env, maxHeapBytes));
            }
            synrep.addSubcommand(d.name(), c);
        }
        return synrep;
    }

    /** {@code synrep --help}: the commands with their summaries. */
    static String help() {
        StringBuilder sb = new StringBuilder("Usage: synrep <command> [options]\n\nCommands:\n");
        for (CommandLines.Definition d : COMMANDS) {
            for (int i = 0; i < d.summary().size(); i++) {
                sb.append(String.format("  %-8s %s%n", i == 0 ? d.name() : "", d.summary().get(i)));
            }
        }
        return sb.append("\nRun 'synrep <command> --help' for a command's options.\n").toString();
    }

    /** PostgreSQL errors quoted in a message may carry Detail/Hint lines; the failure is reported on one line. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

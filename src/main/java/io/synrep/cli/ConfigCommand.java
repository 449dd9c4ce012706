package io.synrep.cli;

import io.synrep.config.ConfigKey;
import io.synrep.config.ConfigKeys;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code synrep config}: the effective configuration of {@code serve} or {@code worker}, validated as the command
 * would validate it at start, printed as a configuration file with each value's source. Secrets are masked.
 */
final class ConfigCommand {
    static final String HELP = """
            Usage: synrep config [serve|worker] [options of that command]

            Prints the configuration the command would run with, after the command line, the
            environment (SYNREP_<NAME>) and the configuration file (--config FILE or SYNREP_CONFIG)
            are combined, in that order of precedence, and checks it as the command does at start.
            Each line is 'key = value' followed by where the value came from (command line, env VAR,
            file FILE:LINE, or default). Secrets (passwords, the auth secret, passwords inside URLs)
            are printed as ****. Exit 0 when the configuration is valid, 2 (with a message naming the
            key) when it is not. Connects to nothing.
            """;

    private ConfigCommand() {}

    static int run(List<String> argv, Map<String, String> env, PrintStream out) {
        String command = "serve";
        List<String> rest = argv;
        if (!argv.isEmpty() && !argv.get(0).startsWith("--")) {
            command = argv.get(0);
            rest = argv.subList(1, argv.size());
            if (ConfigKeys.of(command).isEmpty()) {
                throw new Args.UsageException("config: '" + command + "' has no configuration; use one of "
                        + String.join(", ", ConfigKeys.commands()));
            }
        }
        Args a = Args.resolve(command, rest, env);
        if (command.equals("serve")) {
            ServeCommand.Options.from(a);
        } else {
            WorkerCommand.settings(a);
        }
        out.println("# synrep " + command + ": effective configuration (command line > environment > file > default)");
        for (ConfigKey k : ConfigKeys.of(command).orElseThrow()) {
            String value = k.isFlag() ? Boolean.toString(a.flag(k.name())) : a.get(k.name(), ConfigKeys.resolvedDefault(k));
            String line = k.name() + " = " + k.display(value);
            out.println(String.format("%-60s # %s", line, a.source(k.name())));
        }
        out.flush();
        return 0;
    }
}

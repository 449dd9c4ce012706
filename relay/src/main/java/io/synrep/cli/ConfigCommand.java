package io.synrep.cli;

import io.synrep.config.Resolved;
import io.synrep.config.ServeSettings;
import io.synrep.config.Setting;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code synrep config}: the effective configuration of {@code serve} or {@code worker}, validated as the command
 * would validate it at start, printed as a configuration file with each value's source. Secrets are masked.
 */
final class ConfigCommand {
    static final CommandLines.Definition DEFINITION = new CommandLines.Definition("config",
            List.of("print the effective configuration of serve or worker (secrets masked)"),
            "[serve|worker] [options of that command]",
            List.of("Prints the configuration the command would run with, after the command line, the",
                    "environment (SYNREP_<NAME>) and the configuration file (--config FILE or SYNREP_CONFIG)",
                    "are combined, in that order of precedence, and checks it as the command does at start.",
                    "Each line is 'key = value' followed by where the value came from (command line, env VAR,",
                    "file FILE:LINE, or default). Secrets (passwords, the auth secret, passwords inside URLs)",
                    "are printed as ****. Exit 0 when the configuration is valid, 2 (with a message naming the",
                    "key) when it is not. Connects to nothing."),
            "Without a command, the options of serve:", ServeSettings.KEYS, List.of(), "serve");

    private ConfigCommand() {}

    /** Checks and prints {@code r}, the settings of {@code command} ({@code serve} or {@code worker}). */
    static int run(String command, Resolved r, PrintStream out) {
        if (command.equals("serve")) {
            ServeCommand.Options.from(r);
        } else {
            WorkerCommand.settings(r);
        }
        out.println("# synrep " + command + ": effective configuration (command line > environment > file > default)");
        for (Setting<?> s : r.settings()) {
            String line = s.name() + " = " + r.shown(s);
            out.println(String.format("%-60s # %s", line, r.source(s)));
        }
        out.flush();
        return 0;
    }
}

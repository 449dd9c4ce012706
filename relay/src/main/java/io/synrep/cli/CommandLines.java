package io.synrep.cli;

import io.synrep.config.ConfigException;
import io.synrep.config.Resolved;
import io.synrep.config.Setting;
import io.synrep.config.Settings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Picocli command lines made from settings tables: one option per {@link Setting} ({@code --name VALUE}, or
 * {@code --name} for a flag), the help text generated with each option's real default, and for {@code serve} and
 * {@code worker} the environment and the configuration file as {@link SettingSources default values}. Picocli's
 * parse errors become {@link UsageException}s worded as the user wrote the option.
 */
final class CommandLines {
    /** Help texts wrap at this many columns. */
    static final int WIDTH = 100;

    /**
     * A subcommand of {@code synrep}.
     *
     * @param name        {@code serve}, {@code tail}, ...
     * @param summary     its lines in {@code synrep --help}'s command list
     * @param synopsis    what follows {@code Usage: synrep NAME}
     * @param description the paragraphs between the usage line and the options, as lines
     * @param heading     the line above the options
     * @param options     its options, in the order help lists them
     * @param footer      lines after the options
     * @param table       the command whose keys the environment and the configuration file hold ({@code serve},
     *                    {@code worker}), or null when options come from the command line only
     */
    record Definition(String name, List<String> summary, String synopsis, List<String> description, String heading,
                      List<Setting<?>> options, List<String> footer, String table) {}

    private CommandLines() {}

    /** A command line for {@code d} in a JVM whose maximum heap is {@code maxHeapBytes} (the defaults shown). */
    static CommandLine of(Definition d, Map<String, String> env, long maxHeapBytes) {
        CommandSpec spec = CommandSpec.create().name(d.name());
        spec.usageMessage()
                .customSynopsis("Usage: synrep " + d.name() + (d.synopsis().isEmpty() ? "" : " " + d.synopsis()))
                .synopsisHeading("")
                .descriptionHeading("%n")
                .description(escape(d.description()))
                .optionListHeading(d.heading().isEmpty() ? "%n" : "%n" + escape(d.heading()) + "%n")
                .footer(escape(d.footer()))
                .sortOptions(false)
                .width(WIDTH)
                .longOptionsMaxWidth(26);
        for (Setting<?> s : d.options()) {
            spec.addOption(OptionSpec.builder("--" + s.name())
                    .paramLabel(s.isFlag() ? "" : s.label())
                    .arity(s.isFlag() ? "0" : "1")
                    .type(s.isFlag() ? boolean.class : String.class)
                    .description(escape(describe(s, d.table() != null && Settings.of(d.table()).contains(s),
                            maxHeapBytes)))
                    .build());
        }
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("this text").build());
        CommandLine cl = new CommandLine(spec);
        // an argument such as a password may start with '@': it is a value, never a file of arguments
        cl.setExpandAtFiles(false);
        cl.setHelpFactory(SpacedLabels::new);
        if (d.table() != null) {
            SettingSources sources = new SettingSources(d.table(), env);
            sources.attach(spec);
            cl.setDefaultValueProvider(sources);
        }
        return cl;
    }

    /** An option's help: its meaning, its default unless it has none, and its environment variable. */
    private static String describe(Setting<?> s, boolean fromEnvironment, long maxHeapBytes) {
        String shown = s.defaultText(maxHeapBytes);
        return s.help() + (shown.isEmpty() || s.isFlag() ? "" : " (default " + shown + ")")
                + (fromEnvironment ? "; env " + s.envName() : "");
    }

    /** The settings of a parsed command, each with its source; the file's mistakes and bad values are reported. */
    static Resolved resolve(ParseResult parsed, String command, List<Setting<?>> settings, long maxHeapBytes) {
        CommandSpec spec = parsed.commandSpec();
        SettingSources sources = spec.defaultValueProvider() instanceof SettingSources s ? s : null;
        if (sources != null) {
            sources.check();
        }
        Map<String, Resolved.Given> given = new HashMap<>();
        for (Setting<?> s : settings) {
            OptionSpec o = spec.findOption("--" + s.name());
            if (parsed.hasMatchedOption(o)) {
                String text = s.isFlag() ? "true" : o.getValue();
                given.put(s.name(), new Resolved.Given(text, "--" + s.name(), "command line"));
            } else if (sources != null && sources.given(s.name()) != null) {
                given.put(s.name(), sources.given(s.name()));
            }
        }
        try {
            return Resolved.of(command, settings, given, maxHeapBytes);
        } catch (ConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** Picocli's complaint about a command line, worded as before picocli: {@code tail: --url needs a value}. */
    static String message(ParameterException e) {
        String command = e.getCommandLine().getCommandSpec().name();
        String see = " (see synrep " + command + " --help)";
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            if (command.equals("config") && !first.startsWith("-")) {
                return "config: '" + first + "' has no configuration; use one of " + String.join(", ", Settings.commands());
            }
            if (!first.startsWith("-")) {
                return command + ": unexpected argument '" + first + "'" + see;
            }
            String option = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
            List<String> near = u.getSuggestions();
            return command + ": unknown option " + option
                    + (near.isEmpty() ? "" : " (did you mean " + near.get(0) + "?)") + see;
        }
        if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()) {
            return command + ": " + name(m.getMissing().get(0)) + " needs a value";
        }
        if (e instanceof CommandLine.OverwrittenOptionException o) {
            return command + ": " + name(o.getOverwritten()) + " given twice";
        }
        if (e instanceof CommandLine.MaxValuesExceededException && e.getArgSpec() != null) {
            return command + ": " + name(e.getArgSpec()) + " takes no value";
        }
        if (e instanceof CommandLine.MaxValuesExceededException) {
            String m = e.getMessage();
            int from = m.indexOf("'--");
            if (m.contains("should be specified without") && from >= 0) {
                return command + ": " + m.substring(from + 1, m.indexOf('\'', from + 1)) + " takes no value";
            }
        }
        return command + ": " + e.getMessage() + see;
    }

    private static String name(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
    }

    private static String[] escape(List<String> lines) {
        return lines.stream().map(CommandLines::escape).toArray(String[]::new);
    }

    /** Picocli formats help text with {@link String#format}. */
    private static String escape(String line) {
        return line.replace("%", "%%");
    }

    /** Shows {@code --name VALUE} as the options are documented, not picocli's {@code --name=VALUE}. */
    private static final class SpacedLabels extends Help {
        SpacedLabels(CommandSpec spec, ColorScheme colors) {
            super(spec, colors);
        }

        @Override
        public IParamLabelRenderer parameterLabelRenderer() {
            return new IParamLabelRenderer() {
                @Override
                public Ansi.Text renderParameterLabel(ArgSpec arg, Ansi ansi, List<Ansi.IStyle> styles) {
                    return ansi.new Text(arg.arity().max() == 0 ? "" : " " + arg.paramLabel());
                }

                @Override
                public String separator() {
                    return " ";
                }
            };
        }
    }
}

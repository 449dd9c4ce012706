package io.synrep;

import io.synrep.cli.Cli;

/** Entry point: {@code java -jar synrep.jar <command> [options]}; see {@link Cli}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int code = Cli.run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }
}

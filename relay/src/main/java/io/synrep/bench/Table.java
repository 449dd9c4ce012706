package io.synrep.bench;

import java.io.PrintStream;
import java.util.List;

/** Prints results as a Markdown table, so that the output can be pasted into docs/performance.md as it is. */
final class Table {
    private static final String[] HEADER = {"scenario", "Synrep", "baseline", "ratio", "target", "result"};

    private Table() {}

    static void print(List<Result> results, PrintStream out) {
        int[] width = new int[HEADER.length];
        for (int i = 0; i < HEADER.length; i++) {
            width[i] = HEADER[i].length();
        }
        for (Result r : results) {
            String[] c = cells(r);
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        row(HEADER, width, out);
        StringBuilder rule = new StringBuilder("|");
        for (int w : width) {
            rule.append('-').append("-".repeat(w)).append("-|");
        }
        out.println(rule);
        for (Result r : results) {
            row(cells(r), width, out);
        }
    }

    private static String[] cells(Result r) {
        return new String[] {r.scenario(), r.synrep(), r.baseline(), r.ratio(), r.target(), r.verdict()};
    }

    private static void row(String[] cells, int[] width, PrintStream out) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < cells.length; i++) {
            sb.append(' ').append(cells[i]).append(" ".repeat(width[i] - cells[i].length())).append(" |");
        }
        out.println(sb);
    }
}

package io.handoff.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The plain-text table on stdout: one row per run, whitespace-separated columns, numbers without thousands
 * separators (so scripts can split it), "-" for what was not measured, "FAILED" rows for runs that did not happen.
 */
final class ResultsTable {
    private ResultsTable() {}

    static List<String> header(boolean unicode) {
        return List.of("model", "mode", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "errors",
                unicode ? "CPU µs/req" : "CPU us/req", "peak RSS MB");
    }

    /** Whether the console can show µ; otherwise "us". */
    static boolean unicodeStdout() {
        String enc = System.getProperty("stdout.encoding");
        return enc != null && enc.toUpperCase(Locale.ROOT).startsWith("UTF");
    }

    static String render(List<RunResult> results, boolean unicode) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(header(unicode));
        for (RunResult r : results) rows.add(row(r));
        int cols = rows.get(0).size();
        int[] width = new int[cols];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) width[i] = Math.max(width[i], row.get(i).length());
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                // Names left-aligned, figures right-aligned: easier to compare down a column.
                String pad = " ".repeat(width[i] - cell.length());
                line.append(i < 2 ? cell + pad : pad + cell);
                if (i < row.size() - 1) line.append("  ");
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    static List<String> row(RunResult r) {
        RunSpec s = r.spec();
        List<String> row = new ArrayList<>(List.of(s.name(), s.mode().name(), Integer.toString(s.connections())));
        if (!r.ok()) {
            row.addAll(List.of("FAILED", "-", "-", "-", "-", "-", "-"));
            return row;
        }
        LoadResult l = r.load();
        row.add(String.format(Locale.ROOT, "%.0f", l.perSecond()));
        row.add(ms(l.latency().p50(), l.requests()));
        row.add(ms(l.latency().p99(), l.requests()));
        row.add(ms(l.latency().p999(), l.requests()));
        row.add(Long.toString(l.errors().total()));
        row.add(r.serverCpuMicrosPerRequest() == null ? "-"
                : String.format(Locale.ROOT, "%.1f", r.serverCpuMicrosPerRequest()));
        row.add(r.peakRssMb() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.peakRssMb()));
        return row;
    }

    private static String ms(double v, long count) {
        if (count == 0) return "-";
        return String.format(Locale.ROOT, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    }
}

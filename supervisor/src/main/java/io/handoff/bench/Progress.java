package io.handoff.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The progress line on stderr: on a terminal, one line redrawn with {@code \r} (a bar for the current run and the
 * time left overall); otherwise one plain line per phase, so logs and CI output stay readable.
 */
final class Progress {
    private static final int BAR = 24;
    /** Redraw at most this often on a terminal. */
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream err;
    private final boolean terminal;
    private final int totalRuns;
    private final long runNanos;
    private long startupNanos;
    private int startups;
    private int run;
    private String label = "";
    private String phase = "";
    private long lastDraw;
    private int lastWidth;

    /**
     * @param runNanos warm-up plus measured time of one run, for the time-left estimate
     */
    Progress(PrintStream err, boolean terminal, int totalRuns, long runNanos) {
        this.err = err;
        this.terminal = terminal;
        this.totalRuns = totalRuns;
        this.runNanos = runNanos;
        this.startupNanos = 2_000_000_000L;
    }

    /** Whether stderr is a terminal: its fd 2 links to a tty device. */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Run {@code index} (0-based) begins. */
    synchronized void runStarting(int index, String label) {
        this.run = index;
        this.label = label;
        phase("starting", 0, 0);
    }

    /** The server of the current run took this long to start; improves the estimate for the runs after it. */
    synchronized void serverStarted(long nanos) {
        startupNanos = (startupNanos * startups + nanos) / (startups + 1);
        startups++;
    }

    /**
     * The current run is in {@code phase}, with {@code leftInRunNanos} of it to go out of {@code runTotalNanos}
     * (0 when unknown). Plain output prints a line only when the phase changes.
     */
    synchronized void phase(String phase, long leftInRunNanos, long runTotalNanos) {
        boolean changed = !phase.equals(this.phase);
        this.phase = phase;
        long now = System.nanoTime();
        if (terminal) {
            if (!changed && now - lastDraw < REDRAW_NANOS) return;
            lastDraw = now;
            draw(leftInRunNanos, runTotalNanos);
        } else if (changed) {
            err.println(String.format(Locale.ROOT, "bench: [%d/%d] %s: %s (%sabout %s left in total)", run + 1,
                    totalRuns, label, phase, leftInRunNanos > 0 ? seconds(leftInRunNanos) + " left in this run, " : "",
                    seconds(totalLeft(leftInRunNanos))));
            err.flush();
        }
    }

    /** Clears the terminal line, so the table starts on a clean one. */
    synchronized void finish() {
        if (terminal && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
            lastWidth = 0;
        }
    }

    private void draw(long leftInRunNanos, long runTotalNanos) {
        double done = runTotalNanos > 0 ? 1 - (double) leftInRunNanos / runTotalNanos : 0;
        int filled = (int) Math.round(Math.max(0, Math.min(1, done)) * BAR);
        String line = String.format(Locale.ROOT, "[%d/%d] %-28s [%s%s] %-10s %4s left, %s in total", run + 1,
                totalRuns, label, "#".repeat(filled), "-".repeat(BAR - filled), phase, seconds(leftInRunNanos),
                seconds(totalLeft(leftInRunNanos)));
        int pad = Math.max(0, lastWidth - line.length());
        err.print("\r" + line + " ".repeat(pad));
        err.flush();
        lastWidth = line.length();
    }

    private long totalLeft(long leftInRunNanos) {
        long perRun = startupNanos + runNanos + 500_000_000L;
        long current = phase.equals("starting") ? perRun : leftInRunNanos;
        return current + (long) (totalRuns - run - 1) * perRun;
    }

    private static String seconds(long nanos) {
        long s = (nanos + 999_999_999L) / 1_000_000_000L;
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}

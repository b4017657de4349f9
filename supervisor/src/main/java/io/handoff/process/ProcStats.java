package io.handoff.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process facts from /proc (Linux). */
public final class ProcStats {
    private ProcStats() {}

    /** Resident set size in KiB, or -1 when the process is gone. */
    public static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

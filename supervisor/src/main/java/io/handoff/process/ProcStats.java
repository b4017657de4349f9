package io.handoff.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process facts from /proc (Linux). */
public final class ProcStats {
    private ProcStats() {}

    /** Resident set size in KiB, or -1 when the process is gone. */
    public static long rssKb(long pid) { return statusKb(pid, "VmRSS"); }

    /**
     * A {@code kB} line of /proc/PID/status such as VmRSS or VmHWM, in KiB; -1 when the process is gone, the field is
     * missing, or this is not a Linux /proc.
     */
    public static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

package io.handoff.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Process facts from Linux's /proc: CPU time, resident memory, process trees, and who listens on a port. Every
 * method tolerates processes that exit while it looks (they simply stop counting); none keeps state.
 */
final class ProcFs {
    private static final Path PROC = Path.of("/proc");

    private ProcFs() {}

    /** Whether /proc looks like Linux's, so the per-process figures can be measured at all. */
    static boolean available() {
        return Files.isReadable(PROC.resolve("self/stat"));
    }

    /** Clock ticks per second for /proc/PID/stat times ({@code getconf CLK_TCK}); 100 when that cannot be run. */
    static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) return 100;
                String out = new String(p.getInputStream().readAllBytes()).trim();
                long v = Long.parseLong(out);
                return v > 0 ? v : 100;
            } finally {
                p.destroyForcibly();
            }
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    /** utime + stime of one process in clock ticks, or -1 when it is gone. */
    static long cpuTicks(long pid) {
        try {
            return parseCpuTicks(Files.readString(PROC.resolve(pid + "/stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Sum of utime + stime over the processes still there. */
    static long cpuTicks(Collection<Long> pids) {
        long sum = 0;
        for (long pid : pids) sum += Math.max(0, cpuTicks(pid));
        return sum;
    }

    /**
     * utime + stime (fields 14 and 15) from a /proc/PID/stat line. The command name (field 2) may hold spaces and
     * parentheses, so fields are counted from the last ')'.
     */
    static long parseCpuTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state), so field N is f[N - 3].
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** A {@code kB} line such as VmRSS or VmHWM from /proc/PID/status, in kB; 0 when the process is gone. */
    static long statusKb(long pid, String field) {
        return Math.max(0, io.handoff.process.ProcStats.statusKb(pid, field));
    }

    static long sumStatusKb(Collection<Long> pids, String field) {
        long sum = 0;
        for (long pid : pids) sum += statusKb(pid, field);
        return sum;
    }

    /** The process and every descendant alive now. */
    static Set<Long> tree(long pid) {
        Set<Long> out = new TreeSet<>();
        ProcessHandle.of(pid).ifPresent(h -> {
            out.add(pid);
            h.descendants().forEach(d -> out.add(d.pid()));
        });
        return out;
    }

    /** The trees of several processes, merged. */
    static Set<Long> trees(Collection<Long> roots) {
        Set<Long> out = new TreeSet<>();
        for (long r : roots) out.addAll(tree(r));
        return out;
    }

    /**
     * The processes holding a TCP socket that listens on {@code port} (any address, IPv4 or IPv6): the inodes of
     * listening rows in /proc/net/tcp{,6}, then a scan of every /proc/PID/fd for {@code socket:[INODE]}. Empty when
     * nothing is found or /proc/PID/fd of the owner is not readable (another user's process).
     */
    static Set<Long> pidsListeningOn(int port) {
        Set<Long> inodes = new HashSet<>();
        for (String table : List.of("net/tcp", "net/tcp6")) {
            try {
                inodes.addAll(listeningInodes(Files.readAllLines(PROC.resolve(table)), port));
            } catch (IOException e) {
                // no IPv6, or no /proc
            }
        }
        return pidsHolding(inodes);
    }

    /** The processes (other than this one) holding a socket with one of {@code inodes}. */
    private static Set<Long> pidsHolding(Set<Long> inodes) {
        Set<Long> pids = new TreeSet<>();
        if (inodes.isEmpty()) return pids;
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC)) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) continue;
                long pid = Long.parseLong(name);
                if (pid != self && holdsAny(p.resolve("fd"), inodes)) pids.add(pid);
            }
        } catch (IOException | RuntimeException e) {
            // partial answer is still useful
        }
        return pids;
    }

    /** The processes holding a UDP socket bound to {@code port} (IPv4 or IPv6), found as {@link #pidsListeningOn}. */
    static Set<Long> pidsBoundUdp(int port) {
        Set<Long> inodes = new HashSet<>();
        for (String table : List.of("net/udp", "net/udp6")) {
            try {
                List<String> rows = Files.readAllLines(PROC.resolve(table));
                for (int i = 1; i < rows.size(); i++) {
                    String[] f = rows.get(i).trim().split("\\s+");
                    if (f.length < 10) continue;
                    String local = f[1];
                    if (Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16) == port) {
                        inodes.add(Long.parseLong(f[9]));
                    }
                }
            } catch (IOException e) {
                // no IPv6, or no /proc
            }
        }
        return pidsHolding(inodes);
    }

    /** The inodes of the rows of a /proc/net/tcp table that listen (state 0A) on {@code port}. */
    static Set<Long> listeningInodes(List<String> table, int port) {
        Set<Long> out = new HashSet<>();
        for (int i = 1; i < table.size(); i++) {
            String[] f = table.get(i).trim().split("\\s+");
            if (f.length < 10 || !"0A".equals(f[3])) continue;
            String local = f[1];
            int p = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
            if (p == port) out.add(Long.parseLong(f[9]));
        }
        return out;
    }

    private static boolean holdsAny(Path fdDir, Set<Long> inodes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")
                            && inodes.contains(Long.parseLong(target.substring(8, target.length() - 1)))) {
                        return true;
                    }
                } catch (IOException | RuntimeException e) {
                    // closed while we looked
                }
            }
        } catch (IOException e) {
            // gone, or not ours to read
        }
        return false;
    }
}

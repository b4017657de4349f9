package io.handoff.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Process facts read from /proc, and signals sent by pid. */
final class Procs {
    private Procs() {}

    static void kill(long pid, String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("kill -s " + signal + " " + pid + " failed");
        }
    }

    /** Number of open fds of a process. */
    static int fdCount(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) s.count();
        }
    }

    /** The soft RLIMIT_NOFILE of a process ("self" for this JVM), from /proc/PID/limits; MAX_VALUE if unlimited. */
    static long openFilesLimit(String pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", pid, "limits"))) {
            if (!line.startsWith("Max open files")) continue;
            String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
            return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
        }
        throw new IOException("no 'Max open files' in /proc/" + pid + "/limits");
    }

    /** Open fd counts of the supervisor and each of its workers, by pid. */
    static Map<Long, Integer> fdCounts(ServerProcess s) throws IOException {
        Map<Long, Integer> counts = new HashMap<>();
        counts.put(s.pid(), fdCount(s.pid()));
        for (long w : s.workerPids()) counts.put(w, fdCount(w));
        return counts;
    }

    /**
     * Waits until the same processes as in {@code baseline} hold no more fds than they did then (connections are
     * closed asynchronously, so give them time); fails with both counts otherwise.
     */
    /** The fd counts once two readings 200 ms apart agree (at most 5 s): closes still under way have landed. */
    static Map<Long, Integer> steadyFdCounts(ServerProcess s) throws Exception {
        Map<Long, Integer> last = fdCounts(s);
        for (int i = 0; i < 25; i++) {
            Thread.sleep(200);
            Map<Long, Integer> now = fdCounts(s);
            if (now.equals(last)) return now;
            last = now;
        }
        return last;
    }

    static void awaitFdCountsAtMost(ServerProcess s, Map<Long, Integer> baseline, Duration timeout) throws Exception {
        Map<Long, Integer> after = Map.of();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            after = fdCounts(s);
            if (atMost(baseline, after)) return;
            Thread.sleep(100);
        }
        throw new AssertionError("fd counts before " + baseline + " after " + after);
    }

    private static boolean atMost(Map<Long, Integer> baseline, Map<Long, Integer> after) {
        if (!baseline.keySet().equals(after.keySet())) return false;
        for (var e : baseline.entrySet()) if (after.get(e.getKey()) > e.getValue()) return false;
        return true;
    }

    /** The socket inodes a process holds ("socket:[12345]" targets of /proc/PID/fd). */
    static Set<Long> socketInodes(long pid) throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : s.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                    }
                } catch (IOException ignored) {
                    // the fd closed while we looked
                }
            }
        }
        return inodes;
    }

    /**
     * The inode of the server side of a TCP connection on loopback: the /proc/net/tcp{,6} row whose local port is
     * {@code serverPort} and remote port is {@code clientPort}.
     */
    static long serverSideInode(int serverPort, int clientPort) throws IOException {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) continue;
            List<String> rows = Files.readAllLines(p); // read once: the table changes under us
            for (String line : rows.subList(1, rows.size())) {
                String[] f = line.trim().split("\\s+");
                int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                if (local == serverPort && remote == clientPort) return Long.parseLong(f[9]);
            }
        }
        throw new IOException("no TCP socket " + serverPort + "<-" + clientPort + " in /proc/net/tcp*");
    }

    /** Alive and not a zombie (an orphan's exit is only reaped when init gets to it). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    static void awaitDead(List<Long> pids, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (pids.stream().noneMatch(Procs::alive)) return;
            Thread.sleep(20);
        }
        throw new AssertionError("still alive after " + timeout + ": "
                + pids.stream().filter(Procs::alive).toList());
    }
}

package io.handoff.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code handoff serve} process started with this JVM's JDK and classpath. Every wait is bounded; close()
 * kills the supervisor and every worker it ever saw, by pid.
 */
final class ServerProcess implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+) ");

    private final Process process;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Set<Long> seenPids = Collections.synchronizedSet(new LinkedHashSet<>());
    private final List<String> addresses = new ArrayList<>();

    private ServerProcess(Process process) {
        this(process, null);
    }

    /** With {@code logFile}, the server's log lines are read from that file (tailed) as well as from its output. */
    private ServerProcess(Process process, Path logFile) {
        this.process = process;
        seenPids.add(process.pid());
        if (logFile != null) Thread.ofPlatform().daemon().name("server-logfile").start(() -> tail(logFile));
        Thread.ofPlatform().daemon().name("server-log-" + process.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    if (System.getenv("HANDOFF_TEST_ECHO") != null) System.err.println("server| " + line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
    }

    /** Follows a log file by offset, across its replacement by a new file of the same name (rotation). */
    private void tail(Path file) {
        long offset = 0;
        Object key = null;
        StringBuilder partial = new StringBuilder();
        while (process.isAlive() || offset < sizeOf(file)) {
            try {
                if (java.nio.file.Files.exists(file)) {
                    Object now = java.nio.file.Files.readAttributes(file,
                            java.nio.file.attribute.BasicFileAttributes.class).fileKey();
                    if (key != null && !key.equals(now)) offset = 0; // a new file under the old name
                    key = now;
                    try (var ch = java.nio.channels.FileChannel.open(file)) {
                        ch.position(offset);
                        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(64 * 1024);
                        int n;
                        while ((n = ch.read(buf)) > 0) {
                            offset += n;
                            partial.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
                            buf.clear();
                        }
                    }
                    int nl;
                    while ((nl = partial.indexOf("\n")) >= 0) {
                        lines.add(partial.substring(0, nl));
                        partial.delete(0, nl + 1);
                    }
                }
                Thread.sleep(50);
            } catch (IOException e) {
                // rotated away between calls: next round
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long sizeOf(Path file) {
        try {
            return java.nio.file.Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** The JVM command that runs the CLI: this JDK, this classpath, the launcher's flags. */
    static List<String> javaCommand() {
        return new ArrayList<>(io.handoff.process.SupervisorCommand.java());
    }

    /** Runs {@code handoff ARGS} to completion (bounded) and returns its exit status and output. */
    static Result run(Duration timeout, String... args) throws Exception {
        List<String> cmd = javaCommand();
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("handoff " + String.join(" ", args) + " did not exit within " + timeout);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.exitValue(), out);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    record Result(int status, String output) {
        List<String> lines() { return output.lines().toList(); }
    }

    /** Starts {@code handoff serve ARGS} and waits until it logged a listening line for every {@code --bind}. */
    static ServerProcess serve(String... args) throws Exception {
        return serve(java.util.Map.of(), args);
    }

    /** As {@link #serve(String...)}, with extra environment variables (NOTIFY_SOCKET, HANDOFF_WORKER_OPTS...). */
    static ServerProcess serve(java.util.Map<String, String> env, String... args) throws Exception {
        long binds = List.of(args).stream().filter("--bind"::equals).count();
        List<String> cmd = javaCommand();
        cmd.add("serve");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        int logFlag = List.of(args).indexOf("--log-file");
        Path logFile = logFlag >= 0 ? Path.of(args[logFlag + 1]) : null;
        return started(new ServerProcess(pb.start(), logFile), binds);
    }

    /** Waits for the listening lines of a server process that was started some other way. */
    static ServerProcess adopt(Process p, long binds) throws Exception {
        return started(new ServerProcess(p), binds);
    }

    /** Tracks a server process without waiting for anything (its log may go elsewhere); close() still kills it. */
    static ServerProcess track(Process p) { return new ServerProcess(p); }

    private static ServerProcess started(ServerProcess s, long binds) throws Exception {
        try {
            s.awaitLog(l -> l.contains("listening on"), START_TIMEOUT);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (s.countLines("listening on") < Math.max(1, binds) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            synchronized (s.lines) {
                for (String line : s.lines) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) s.addresses.add(m.group(1));
                }
            }
            s.rememberWorkers();
            return s;
        } catch (Throwable t) {
            s.close();
            throw t;
        }
    }

    long pid() { return process.pid(); }

    Process process() { return process; }

    /** Listening addresses in --bind order: "127.0.0.1:43211", "[::1]:40000", "unix:/tmp/x.sock". */
    List<String> addresses() { return addresses; }

    int port(int index) {
        String a = addresses.get(index);
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    /** The worker processes right now (direct children of the supervisor). */
    List<Long> workerPids() {
        List<Long> pids = process.toHandle().children().map(ProcessHandle::pid).sorted().toList();
        seenPids.addAll(pids);
        return pids;
    }

    private void rememberWorkers() { workerPids(); }

    /** Waits until the supervisor has {@code n} children, none of them in {@code exclude}. */
    List<Long> awaitWorkers(int n, Set<Long> exclude, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Long> now = workerPids();
            if (now.size() == n && now.stream().noneMatch(exclude::contains)) return now;
            Thread.sleep(20);
        }
        throw new AssertionError("expected " + n + " workers (not " + exclude + ") within " + timeout
                + ", have " + workerPids() + "\n" + log());
    }

    String log() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    long countLines(String fragment) {
        synchronized (lines) {
            return lines.stream().filter(l -> l.contains(fragment)).count();
        }
    }

    String awaitLog(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            synchronized (lines) {
                for (String l : lines) if (match.test(l)) return l;
            }
            if (!process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(200); // let the log reader drain the last lines
                synchronized (lines) {
                    for (String l : lines) if (match.test(l)) return l;
                }
                throw new AssertionError("server exited (status " + process.exitValue() + ") before the expected "
                        + "log line\n" + log());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected log line not seen within " + timeout + "\n" + log());
    }

    void signal(String name) throws Exception { Procs.kill(process.pid(), name); }

    /** Waits for the supervisor to exit; returns its status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("server did not exit within " + timeout + "\n" + log());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        workerPidsQuietly();
        process.destroyForcibly();
        List<Long> pids;
        synchronized (seenPids) {
            pids = List.copyOf(seenPids);
        }
        for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void workerPidsQuietly() {
        try {
            if (process.isAlive()) workerPids();
        } catch (RuntimeException ignored) {
            // best effort
        }
    }
}

package io.handoff.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.supervisor.Durations;

/**
 * A real {@code handoff serve} child process: the same JDK and classpath as bench itself, so what is measured is
 * exactly the build that runs. Started on port 0; its address comes from its "listening on" log line.
 */
final class BenchServer {
    private static final Logger log = LoggerFactory.getLogger(BenchServer.class);
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+) model=");
    private static final int LOG_TAIL = 40;

    private final Process process;
    private final ChildProcesses children;
    private final CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private InetSocketAddress address;

    private BenchServer(Process process, ChildProcesses children) {
        this.process = process;
        this.children = children;
    }

    /**
     * The JVM command for {@code handoff serve}: this JDK and classpath, and the launcher's flags (the same heap
     * limits for every model, so RSS figures compare). The threads model gets a thread per connection measured (at
     * least its default 200): a keep-alive connection holds its thread, so a smaller pool would measure the backlog.
     */
    static List<String> serveCommand(String model, Workload handler, Integer workers, int connections) {
        List<String> cmd = io.handoff.process.SupervisorCommand.java();
        cmd.addAll(List.of("serve", "--model", model, "--handler", handler.name(), "--bind", "127.0.0.1:0",
                "--backlog", "4096"));
        if (workers != null) cmd.addAll(List.of("--workers", Integer.toString(workers)));
        if (model.equals("threads")) cmd.addAll(List.of("--threads", Integer.toString(Math.max(200, connections))));
        return cmd;
    }

    /** Starts the command and waits (bounded) for its listening line; on failure the child is already killed. */
    static BenchServer start(List<String> command, ChildProcesses children, Duration startTimeout)
            throws StartException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new StartException("cannot start the server: " + e.getMessage());
        }
        BenchServer s = new BenchServer(p, children);
        if (!children.add(p)) throw new StartException("bench is shutting down");
        Thread.ofPlatform().daemon().name("bench-server-log-" + p.pid()).start(s::readLog);
        try {
            s.address = s.listening.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            boolean exited = p.waitFor(200, TimeUnit.MILLISECONDS);
            children.kill(p);
            String why = exited ? "exited with status " + p.exitValue() + " before listening"
                    : "logged no listening line within " + Durations.format(startTimeout);
            throw new StartException("server " + why + "; its last lines:\n" + s.tail());
        } catch (InterruptedException e) {
            children.kill(p);
            throw e;
        }
        children.rememberDescendants(p);
        return s;
    }

    long pid() { return process.pid(); }

    InetSocketAddress address() { return address; }

    /** The server and its workers now (pids); also remembered so they are killed with it. */
    Set<Long> tree() {
        children.rememberDescendants(process);
        return ProcFs.tree(process.pid());
    }

    /**
     * Stops it the way an operator would: SIGTERM, a bounded wait for a graceful exit, then SIGKILL for it and every
     * descendant regardless. Returns its exit status, or null when it had to be killed.
     */
    Integer stop(Duration grace) throws InterruptedException {
        children.rememberDescendants(process);
        process.destroy(); // SIGTERM on Linux
        boolean exited = process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) log.warn("server pid {} did not exit within {} of SIGTERM; killing it", pid(), grace);
        children.kill(process);
        return exited ? process.exitValue() : null;
    }

    String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    private void readLog() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (tail) {
                    if (tail.size() == LOG_TAIL) tail.removeFirst();
                    tail.addLast(line);
                }
                if (!listening.isDone()) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        String host = m.group(1);
                        if (host.startsWith("udp:")) host = host.substring("udp:".length());
                        if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
                        listening.complete(new InetSocketAddress(host, Integer.parseInt(m.group(2))));
                    }
                }
                log.debug("server| {}", line);
            }
        } catch (IOException e) {
            // the server is gone
        }
        listening.completeExceptionally(new IOException("server output ended"));
    }

    /** The server could not be started or never said where it listens. */
    static final class StartException extends Exception {
        StartException(String message) {
            super(message);
        }
    }
}

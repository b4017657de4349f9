package io.handoff.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server processes bench has started, so that none outlives it: a JVM shutdown hook (Ctrl-C, SIGTERM, a crash
 * of the main thread) kills every one still running, with all its descendants, by pid. Descendants are remembered as
 * {@link ProcessHandle}s while the parent lives, because once it is gone they are re-parented and can no longer be
 * found from it; a handle also carries the start time, so a recycled pid is never killed by mistake.
 */
final class ChildProcesses implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChildProcesses.class);

    private final Map<Process, Set<ProcessHandle>> live = new LinkedHashMap<>();
    private final Set<Long> everStarted = new TreeSet<>();
    private final Thread hook = new Thread(this::killAll, "bench-cleanup");
    private boolean shuttingDown;

    ChildProcesses() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Tracks a new child; false (and the child is killed) when bench is already shutting down. */
    boolean add(Process p) {
        synchronized (this) {
            if (!shuttingDown) {
                live.put(p, new LinkedHashSet<>());
                everStarted.add(p.pid());
                return true;
            }
        }
        killTree(p, Set.of());
        return false;
    }

    /** Remembers the child's current descendants (workers) for killing later and for the list of started pids. */
    void rememberDescendants(Process p) {
        List<ProcessHandle> now = p.descendants().toList();
        synchronized (this) {
            Set<ProcessHandle> known = live.get(p);
            if (known == null) return;
            known.addAll(now);
            for (ProcessHandle h : now) everStarted.add(h.pid());
        }
    }

    /** Every pid started by bench (servers and their workers) that it has seen, for results.json. */
    synchronized List<Long> everStarted() {
        return List.copyOf(everStarted);
    }

    /** Kills the child and all its descendants (SIGKILL) and stops tracking it. */
    void kill(Process p) {
        Set<ProcessHandle> known;
        synchronized (this) {
            known = live.remove(p);
        }
        killTree(p, known == null ? Set.of() : known);
    }

    /** Kills whatever is still tracked; runs as the shutdown hook, and on close. */
    void killAll() {
        Map<Process, Set<ProcessHandle>> copy;
        synchronized (this) {
            shuttingDown = true;
            copy = new LinkedHashMap<>(live);
            live.clear();
        }
        copy.forEach((p, known) -> {
            if (p.isAlive()) log.warn("stopping server pid {} left running", p.pid());
            killTree(p, known);
        });
    }

    /** Unregisters the hook (when not already shutting down) and kills anything left. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the hook does the work
        }
        killAll();
    }

    private static void killTree(Process p, Set<ProcessHandle> known) {
        List<ProcessHandle> all = new ArrayList<>(known);
        all.addAll(p.descendants().toList());
        p.destroyForcibly();
        all.forEach(ProcessHandle::destroyForcibly);
        awaitDead(p, all, Duration.ofSeconds(5));
    }

    private static void awaitDead(Process p, List<ProcessHandle> others, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (ProcessHandle h : others) {
                while (h.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

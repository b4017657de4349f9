package io.handoff.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the servers under comparison and the load generator share the CPUs; every server is started, or pinned, the
 * same way, since Linux autogroups share CPU between sessions rather than threads (a server in the generator's
 * session against a peer started with setsid skewed our tables by 2x). {@code pinned}: servers on
 * {@code serverCpus}, this JVM (the generator) on {@code loadCpus}, one core each, the headline figure; {@code
 * shared}: every server in its own session, nothing pinned, as with a noisy neighbour. The scripts' drivers do the
 * same (scripts/lib/setup.sh).
 */
record Setup(Kind kind, String serverCpus, String loadCpus) {
    enum Kind { pinned, shared }

    /** Pinned where there are two cores to split, else shared. */
    static Setup defaultFor(int cores) {
        return new Setup(cores >= 2 ? Kind.pinned : Kind.shared, "0", "1");
    }

    /** The server's command, in a session of its own, and pinned to the server CPUs when pinned. */
    List<String> wrap(List<String> command) {
        List<String> out = new ArrayList<>(List.of("setsid"));
        if (kind == Kind.pinned) out.addAll(List.of("taskset", "-c", serverCpus));
        out.addAll(command);
        return out;
    }

    /**
     * Pins every thread of this JVM (the generator) to the load CPUs; threads it starts later inherit that. Shared:
     * every CPU, whatever this process inherited.
     */
    void pinLoadGenerator() throws IOException {
        taskset(kind == Kind.pinned ? loadCpus : allCpus(), List.of(ProcessHandle.current().pid()));
    }

    /**
     * Pins a server started elsewhere (every process of it, every thread) to the server CPUs; shared: lets it run on
     * every CPU again (an earlier pinned run may have pinned it).
     */
    void pinServer(Collection<Long> pids) throws IOException {
        taskset(kind == Kind.pinned ? serverCpus : allCpus(), pids);
    }

    /** Every CPU online, whatever affinity this process was started with (which availableProcessors reflects). */
    private static String allCpus() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/sys/devices/system/cpu/online")).trim();
        } catch (IOException | RuntimeException e) {
            return "0-" + (Runtime.getRuntime().availableProcessors() - 1);
        }
    }

    /** The line every table, report and results.json carries. */
    String describe() {
        return kind == Kind.pinned
                ? "pinned: servers on CPU " + serverCpus + ", load generator on CPU " + loadCpus
                        + " (every server in its own session)"
                : "shared: every server in its own session, nothing pinned";
    }

    /** Fails with a message fit for the command line when taskset cannot apply {@code cpus} here. */
    static void check(String cpus) throws IOException {
        run(List.of("taskset", "-c", cpus, "true"));
    }

    private static void taskset(String cpus, Collection<Long> pids) throws IOException {
        for (long pid : pids) run(List.of("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)));
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed" + (out.isEmpty() ? "" : ": " + out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command));
        } finally {
            p.destroyForcibly();
        }
    }
}

package io.handoff.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the runs of a {@link BenchConfig} one after another: for a model, a fresh server per run (so memory and CPU
 * figures belong to that run alone), stopped before the next starts; for a target, the load alone.
 */
final class BenchRunner {
    private static final Logger log = LoggerFactory.getLogger(BenchRunner.class);
    /** How often the server's memory is sampled (and the progress line redrawn). */
    private static final long SAMPLE_NANOS = 200_000_000L;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);
    /** At most this much warm-up beyond --warmup while the JIT is still compiling the load generator. */
    static final Duration MAX_EXTRA_WARMUP = Duration.ofSeconds(5);

    private final BenchConfig config;
    private final ChildProcesses children;
    private final Progress progress;
    private final long clockTicks;

    BenchRunner(BenchConfig config, ChildProcesses children, Progress progress, long clockTicks) {
        this.config = config;
        this.children = children;
        this.progress = progress;
        this.clockTicks = clockTicks;
    }

    /** Every run in order; {@code afterEach} sees the results so far (to save them as they come). */
    List<RunResult> runAll(Consumer<List<RunResult>> afterEach) throws InterruptedException {
        List<RunSpec> specs = config.runs();
        List<RunResult> results = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            RunSpec spec = specs.get(i);
            progress.runStarting(i, spec.label());
            RunResult r = spec.isTarget() ? runTarget(spec) : runModel(spec);
            if (!r.ok()) log.error("{}: {}", spec.label(), r.failure());
            results.add(r);
            afterEach.accept(List.copyOf(results));
        }
        progress.finish();
        return results;
    }

    private RunResult runModel(RunSpec spec) throws InterruptedException {
        long t0 = System.nanoTime();
        BenchServer server;
        try {
            server = BenchServer.start(config.setup().wrap(BenchServer.serveCommand(spec.model(), spec.handler(),
                    config.workers(), spec.connections())), children, START_TIMEOUT);
        } catch (BenchServer.StartException e) {
            return RunResult.failed(spec, null, List.of(), e.getMessage());
        }
        progress.serverStarted(System.nanoTime() - t0);
        InetSocketAddress address = server.address();
        String hostPort = address.getHostString() + ":" + address.getPort();
        RunResult r;
        Integer status;
        try {
            r = measure(spec, address, hostPort, server::tree);
        } finally {
            progress.phase("stopping", 0, 0);
            status = server.stop(STOP_GRACE);
        }
        if (status != null && status != 0) log.warn("{}: server exited with status {}", spec.label(), status);
        Set<Long> pids = new TreeSet<>(r.serverPids());
        pids.add(server.pid());
        return r.withServerExit(status, List.copyOf(pids));
    }

    private RunResult runTarget(RunSpec spec) throws InterruptedException {
        Target t = spec.target();
        InetSocketAddress address = t.address();
        if (address.isUnresolved()) {
            return RunResult.failed(spec, t.hostPort(), List.of(), "cannot resolve " + t.host());
        }
        // The server's processes are whoever holds the listening socket; without them only the load is measured.
        Set<Long> roots = ProcFs.available() ? ProcFs.pidsListeningOn(t.port()) : Set.of();
        if (roots.isEmpty()) log.info("{}: no process found listening on port {}; CPU and RSS left empty",
                spec.label(), t.port());
        if (!roots.isEmpty()) {
            try {
                config.setup().pinServer(ProcFs.trees(roots));
            } catch (java.io.IOException e) {
                return RunResult.failed(spec, t.hostPort(), List.of(), "cannot pin " + spec.label() + " to CPU "
                        + config.setup().serverCpus() + ": " + e.getMessage());
            }
        } else if (config.setup().kind() == Setup.Kind.pinned) {
            log.warn("{}: not pinned (no process found listening on port {}): the set-up is not the same for it",
                    spec.label(), t.port());
        }
        return measure(spec, address, t.hostPort(), roots.isEmpty() ? null : () -> ProcFs.trees(roots));
    }

    /**
     * Drives the load, and meanwhile samples the server's process tree: CPU at the start and end of the measured
     * window, RSS every 200 ms. {@code tree} is null when the server's processes are unknown.
     *
     * <p>The warm-up lasts {@code --warmup}, and then goes on (up to {@link #MAX_EXTRA_WARMUP}) while this JVM is
     * still compiling: the load generator's own JIT warm-up must not be measured as the server's performance. It
     * matters on a busy machine, where the compiler threads get little CPU and take many seconds per run kind.
     */
    private RunResult measure(RunSpec spec, InetSocketAddress address, String hostHeader, Supplier<Set<Long>> tree)
            throws InterruptedException {
        LoadPlan plan = LoadPlan.openLater(address, hostHeader, spec.protocol(), spec.connections(),
                config.clientThreads(), config.duration(), config.timeout());
        LoadWindow window = plan.window();
        LoadGenerator load = LoadGenerator.start(plan);
        TreeSampler sampler = new TreeSampler(tree);
        JitWatch jit = new JitWatch();
        long self = ProcessHandle.current().pid();
        long durationNanos = config.duration().toNanos();
        long warmupEnd = plan.startNanos() + config.warmup().toNanos();
        long cpuBefore;
        long clientBefore;
        long cpuAfter;
        long clientAfter;
        long hwmKb;
        boolean opened = false;
        try {
            long now;
            while ((now = System.nanoTime()) - warmupEnd < 0) {
                sampler.sample();
                jit.sample(now);
                progress.phase("warm-up", warmupEnd - now + durationNanos, warmupEnd - plan.startNanos()
                        + durationNanos);
                sleepUntil(Math.min(now + SAMPLE_NANOS, warmupEnd));
            }
            long extraUntil = warmupEnd + MAX_EXTRA_WARMUP.toNanos();
            while (jit.busy() && (now = System.nanoTime()) - extraUntil < 0) {
                sampler.sample();
                jit.sample(now);
                progress.phase("warm-up (bench JIT)", durationNanos, durationNanos);
                sleepUntil(now + SAMPLE_NANOS);
            }
            // The window opens at a tick of our own, so the CPU snapshot is taken at its very start.
            Set<Long> pids = sampler.pids();
            now = System.nanoTime();
            cpuBefore = ProcFs.cpuTicks(pids);
            clientBefore = ProcFs.cpuTicks(self);
            window.open(now);
            opened = true;
            long end = window.end();
            while ((now = System.nanoTime()) - end < 0) {
                sampler.sample();
                progress.phase("measuring", end - now, durationNanos);
                sleepUntil(Math.min(now + SAMPLE_NANOS, end));
            }
            pids = sampler.pids();
            cpuAfter = ProcFs.cpuTicks(pids);
            clientAfter = ProcFs.cpuTicks(self);
            hwmKb = ProcFs.sumStatusKb(pids, "VmHWM");
            sampler.sample();
        } finally {
            if (!opened) load.cancel();
        }
        LoadResult result;
        try {
            result = load.await(config.timeout().plusSeconds(10));
        } catch (IOException e) {
            return RunResult.failed(spec, hostHeader, sampler.seen(), e.getMessage());
        }
        Double serverCpuSeconds = null;
        Double serverCpuPerRequest = null;
        Double clientCpuPerRequest = null;
        if (clientBefore >= 0 && clientAfter >= clientBefore && result.requests() > 0) {
            clientCpuPerRequest = ticksToMicros(clientAfter - clientBefore) / result.requests();
        }
        if (tree != null) {
            serverCpuSeconds = ticksToMicros(Math.max(0, cpuAfter - cpuBefore)) / 1e6;
            if (result.requests() > 0) serverCpuPerRequest = serverCpuSeconds * 1e6 / result.requests();
        }
        return new RunResult(spec, hostHeader, result, serverCpuPerRequest, serverCpuSeconds, clientCpuPerRequest,
                tree == null ? null : sampler.peakRssKb() / 1024.0, tree == null ? null : hwmKb / 1024.0,
                sampler.seen(), null, null);
    }

    private double ticksToMicros(long ticks) {
        return ticks * 1e6 / clockTicks;
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left > 0) Thread.sleep(Duration.ofNanos(left));
    }

    /** The server's process tree as it changes: the pids seen, and the peak of their summed RSS. */
    private static final class TreeSampler {
        private final Supplier<Set<Long>> tree;
        private final Set<Long> seen = new TreeSet<>();
        private Set<Long> pids = Set.of();
        private long peakRssKb;

        TreeSampler(Supplier<Set<Long>> tree) {
            this.tree = tree;
        }

        void sample() {
            if (tree == null) return;
            pids = tree.get();
            seen.addAll(pids);
            peakRssKb = Math.max(peakRssKb, ProcFs.sumStatusKb(pids, "VmRSS"));
        }

        /** The tree now (empty when unknown). */
        Set<Long> pids() {
            if (tree == null) return Set.of();
            pids = tree.get();
            seen.addAll(pids);
            return pids;
        }

        List<Long> seen() { return List.copyOf(seen); }

        long peakRssKb() { return peakRssKb; }
    }

    /**
     * Whether this JVM's JIT compiler is still busy: more than {@link #BUSY_MILLIS_PER_SECOND} of compilation in the
     * last second. Never busy when the JVM does not report compilation time.
     */
    private static final class JitWatch {
        private static final long BUSY_MILLIS_PER_SECOND = 50;
        private final CompilationMXBean bean = ManagementFactory.getCompilationMXBean();
        private final boolean supported = bean != null && bean.isCompilationTimeMonitoringSupported();
        private long sliceStart = System.nanoTime();
        private long sliceStartMillis = supported ? bean.getTotalCompilationTime() : 0;
        private long lastSliceMillis = supported ? Long.MAX_VALUE : 0;

        void sample(long now) {
            if (!supported || now - sliceStart < 1_000_000_000L) return;
            long total = bean.getTotalCompilationTime();
            lastSliceMillis = (total - sliceStartMillis) * 1_000_000_000L / (now - sliceStart);
            sliceStart = now;
            sliceStartMillis = total;
        }

        boolean busy() {
            return lastSliceMillis > BUSY_MILLIS_PER_SECOND;
        }
    }
}

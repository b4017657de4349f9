package io.handoff.supervisor;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.control.CommandRegistry.CommandException;
import io.handoff.control.Json;
import io.handoff.dispatch.DatagramSockets;
import io.handoff.dispatch.DispatchMode;
import io.handoff.dispatch.HandoffLoop;
import io.handoff.dispatch.LeastLoaded;
import io.handoff.dispatch.RoundRobin;
import io.handoff.dispatch.SharedListeners;
import io.handoff.listen.Listener;
import io.handoff.process.Pool;
import io.handoff.process.PoolEvents;
import io.handoff.process.WorkerPool;
import io.handoff.process.WorkerProcess;
import io.handoff.process.WorkerProcess.State;
import io.handoff.process.WorkerSpec;
import io.handoff.protocol.Message.Refused;
import io.handoff.protocol.Message.ReopenLogs;
import io.handoff.unix.Fd;
import io.handoff.worker.WorkerMain;

/**
 * Pre-spawned worker JVMs, fed connections by the {@link DispatchMode} {@code --dispatch} picked. This class is the
 * lifecycle, and it runs on the supervisor loop only: it is the one writer of every worker's {@link State} and of
 * the worker list. The pool's threads report through {@link PoolEvents}, which only enqueue.
 *
 * <p>One rule keeps the count, applied after every event and tick: {@link #reconcileWorkerCount()}. Reload, scaling,
 * recycling and crash recovery only change the target or retire workers; reconcile then spawns replacements and
 * drains retired workers once enough replacements are ready, so connections always have a ready worker to go to.
 * Workers that die before they are ready, or young, are respawned later each time, and not forever: see
 * {@link FailedStarts}.
 */
final class ForkModel implements ServingModel {
    private static final Logger log = LoggerFactory.getLogger(ForkModel.class);
    static final Duration HUNG_KILL_AFTER = Duration.ofSeconds(1);
    /** A worker whose link broke exits by itself at once; this is how long it gets before it is killed. */
    static final Duration LINK_LOST_KILL_AFTER = Duration.ofSeconds(5);
    /** Past its drain deadline, how long a draining worker gets before it is killed. */
    static final Duration DRAIN_KILL_AFTER = Duration.ofSeconds(5);

    /** How the distribution is made once the pool runs; the real one opens the listeners' selector. */
    interface DispatchModeFactory {
        DispatchMode create(Supplier<WorkerProcess[]> ready, Supplier<List<WorkerProcess>> all, Runnable onFailure)
                throws IOException;
    }

    private final ServeConfig config;
    private final BlockingQueue<Event> events;
    private final LongSupplier clock;
    private final Pool pool;
    private final DispatchModeFactory distributions;
    /** Every worker not yet reaped, in spawn order. Loop only. */
    private final List<WorkerProcess> workers = new ArrayList<>();
    /** What the dispatcher reads: published by the loop after every change of state. */
    private volatile WorkerProcess[] readyView = new WorkerProcess[0];
    private volatile List<WorkerProcess> allView = List.of();
    /** Set in start(), before any worker exists; read by link readers (refused connections). */
    private volatile DispatchMode distribution;
    private int target;
    private int generation = 1;
    private int nextId = 1;
    private boolean ready;
    private boolean reloading;
    private boolean stopping;
    private final FailedStarts failedStarts = new FailedStarts();
    /** Sends each ready worker its datagram sockets; set once by create(), before start. */
    private DatagramSockets datagramSockets = new DatagramSockets(List.of());

    ForkModel(ServeConfig config, BlockingQueue<Event> events, LongSupplier clock,
            Function<PoolEvents, Pool> poolFactory, DispatchModeFactory distributions) {
        this.config = config;
        this.events = events;
        this.clock = clock;
        this.pool = poolFactory.apply(new QueuedEvents());
        this.distributions = distributions;
        this.target = config.workers();
    }

    /** The real thing: worker JVMs and the distribution {@code --dispatch} names. */
    static ForkModel create(ServeConfig config, List<Listener> listeners, Datagrams datagrams,
            BlockingQueue<Event> events) {
        WorkerSpec spec = new WorkerSpec(config.handler(), config.handlerClasspath(), config.root(), config.logFile(),
                config.workerConnections(), config.timeouts(), config.httpLimits(),
                datagrams.any() ? datagrams.maxBytes() : 0);
        DispatchModeFactory distributions = (ready, all, onFailure) -> {
            HandoffLoop.Limits limits = HandoffLoop.Limits.of(config.maxConnections(), config.workerConnections(),
                    supervisorFdLimit() - FdBudget.RESERVE);
            return switch (config.dispatch()) {
                case LEAST_LOADED -> new HandoffLoop(listeners, ready, all, new LeastLoaded(), limits, onFailure);
                case ROUND_ROBIN -> new HandoffLoop(listeners, ready, all, new RoundRobin(), limits, onFailure);
                case SHARED -> new SharedListeners(listeners);
            };
        };
        ForkModel model = new ForkModel(config, events, System::nanoTime, pe -> new WorkerPool(spec, pe), distributions);
        model.datagramSockets = new DatagramSockets(datagrams.listeners());
        return model;
    }

    private static long supervisorFdLimit() {
        try {
            return io.handoff.unix.FdLimit.current().soft();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public void start() throws StartupException {
        try {
            pool.start();
            distribution = distributions.create(() -> readyView, () -> allView,
                    () -> events.add(new Event.Fatal("the dispatcher failed (see the error above)")));
        } catch (IOException e) {
            throw new StartupException("cannot start workers: " + e.getMessage(), 1);
        }
        reconcileWorkerCount();
    }

    @Override
    public boolean isReady() { return ready; }

    @Override
    public boolean isReloading() { return reloading; }

    @Override
    public void onEvent(Event.WorkerEvent event) throws StartupException {
        WorkerProcess w = event.worker();
        switch (event) {
            case Event.WorkerReady r -> announceReady(w);
            case Event.WorkerExited x -> reapExited(w, x.exitValue());
            case Event.WorkerLinkClosed c -> linkClosed(w);
            case Event.WorkerDrained d -> log.info("worker drained {} {} served={}", w,
                    d.graceful() ? "gracefully" : "by force", d.served());
        }
        reconcileWorkerCount();
    }

    @Override
    public void tick() throws StartupException {
        long now = clock.getAsLong();
        for (WorkerProcess w : List.copyOf(workers)) {
            killBootTimedOut(w, now);
            killHung(w, now);
            recycleIfDue(w);
            killOverdue(w, now);
        }
        failedStarts.forgiveIfServing(workers, now);
        reconcileWorkerCount();
    }

    private void setState(WorkerProcess w, State next) {
        w.state(next, clock.getAsLong());
        publish();
    }

    /** The dispatcher's views: ready workers in id order, and every worker (their connections count). */
    private void publish() {
        readyView = workers.stream().filter(WorkerProcess::isReady).sorted(Comparator.comparingInt(WorkerProcess::id))
                .toArray(WorkerProcess[]::new);
        allView = List.copyOf(workers);
    }

    private void announceReady(WorkerProcess w) {
        if (!(w.state() instanceof State.Booting)) return; // killed meanwhile (boot timeout, retired): not ours to use
        setState(w, new State.Ready());
        log.info("worker ready {} boot={}ms", w, ageMillis(w));
        // Workers that accept for themselves get the listening sockets now; the handoff loop reads readyView.
        if (distribution instanceof SharedListeners shared) shared.share(w);
        datagramSockets.share(w);
        if (!ready && readyView.length >= target) {
            ready = true;
            distribution.start();
        }
    }

    private void linkClosed(WorkerProcess w) {
        switch (w.state()) {
            case State.Booting b -> fail(w, "link closed before ready", LINK_LOST_KILL_AFTER);
            case State.Ready r -> fail(w, "link closed", LINK_LOST_KILL_AFTER);
            case State.Retiring r -> fail(w, "link closed", LINK_LOST_KILL_AFTER);
            case State.Draining d -> { } // it drained, or was told to: the link ends as it exits
            case State.Failing f -> { }
            case State.Gone g -> { }
        }
    }

    /** Takes the worker out of service at once; it is killed after {@code grace} if it has not exited by then. */
    private void fail(WorkerProcess w, String reason, Duration grace) {
        setState(w, new State.Failing(reason, clock.getAsLong() + grace.toNanos()));
    }

    private void reapExited(WorkerProcess w, int exitValue) throws StartupException {
        State last = w.state();
        workers.remove(w);
        w.state(new State.Gone(exitValue), clock.getAsLong());
        publish();
        String how = describeExit(exitValue);
        if (stopping || last instanceof State.Draining) {
            log.info("worker exited {} {}", w, how);
            return;
        }
        log.warn("worker died {} {} age={}ms in_flight_lost={} last_state={}", w, how, ageMillis(w), w.inFlight(),
                describe(last));
        if (exitValue == WorkerMain.EXIT_BOOT_ERROR) {
            throw new StartupException("worker " + w.id() + " cannot boot (exit " + exitValue
                    + "); its log above says why. Not respawning.", 1);
        }
        long now = clock.getAsLong();
        if (FailedStarts.isFailedStart(w, now)) failedStarts.record(w, now);
    }

    private void killBootTimedOut(WorkerProcess w, long now) {
        if (w.state() instanceof State.Booting && now - w.startedNanos() > config.bootTimeout().toNanos()) {
            log.error("worker not ready within --boot-timeout {}; killing {}", Durations.format(config.bootTimeout()), w);
            fail(w, "boot timeout", Duration.ZERO);
            pool.kill(w);
        }
    }

    /**
     * A worker that misses heartbeats for {@code --timeout} is hung (its virtual-thread scheduler is stuck, or the
     * process is stopped): ask the JVM for a thread dump (SIGQUIT prints one to the log), then kill it a second
     * later. Its replacement comes from reconcile.
     */
    private void killHung(WorkerProcess w, long now) {
        boolean serving = w.isReady() || w.state() instanceof State.Draining;
        if (!serving || now - w.lastHeartbeatNanos() <= config.timeout().toNanos()) return;
        log.error("worker hung {} no heartbeat for {}ms (--timeout {}); thread dump follows, then kill", w,
                (now - w.lastHeartbeatNanos()) / 1_000_000, Durations.format(config.timeout()));
        fail(w, "hung", HUNG_KILL_AFTER);
        pool.threadDump(w);
        // Its acceptor threads would go on taking connections its stuck handlers never serve.
        if (distribution instanceof SharedListeners shared) shared.withdraw(w);
    }

    /** Failing past its kill time, or draining past its deadline and the grace after it. */
    private void killOverdue(WorkerProcess w, long now) {
        switch (w.state()) {
            case State.Failing f -> {
                if (now >= f.killAtNanos()) pool.kill(w);
            }
            case State.Draining d -> {
                if (now - d.deadlineNanos() > DRAIN_KILL_AFTER.toNanos()) {
                    log.warn("worker did not finish draining in time; killing {}", w);
                    pool.kill(w);
                    setState(w, new State.Failing("drain overdue", now));
                }
            }
            case State.Booting b -> { }
            case State.Ready r -> { }
            case State.Retiring r -> { }
            case State.Gone g -> { }
        }
    }

    private void recycleIfDue(WorkerProcess w) {
        if (!(w.state() instanceof State.Ready)) return;
        String reason = null;
        if (w.maxServed() > 0 && w.served() >= w.maxServed()) {
            reason = "max-requests " + w.maxServed();
        } else if (config.maxWorkerMemoryMb() > 0) {
            long rssMb = pool.rssKb(w) / 1024;
            if (rssMb > config.maxWorkerMemoryMb()) reason = "max-worker-memory rss=" + rssMb + "MB";
        }
        if (reason != null) {
            log.info("recycling {} reason={}", w, reason);
            retire(w, reason);
        }
    }

    /** Replaces {@code w}: one that never served is stopped at once, a ready one once its replacement is ready. */
    private void retire(WorkerProcess w, String reason) {
        switch (w.state()) {
            case State.Booting b -> {
                setState(w, new State.Draining(reason, clock.getAsLong()));
                pool.kill(w); // never served anything: nothing to drain
            }
            case State.Ready r -> setState(w, new State.Retiring(reason));
            case State.Retiring r -> { } // the first reason stands
            case State.Draining d -> { }
            case State.Failing f -> { }
            case State.Gone g -> { }
        }
    }

    /**
     * The one rule: keep {@code target} workers that are booting or ready and not retiring; drain retiring workers
     * only once at least {@code target} others are ready to take their connections.
     */
    private void reconcileWorkerCount() throws StartupException {
        if (stopping) return;
        List<WorkerProcess> active = new ArrayList<>();
        int failingBeforeReady = 0;
        for (WorkerProcess w : workers) {
            if (w.state() instanceof State.Booting || w.state() instanceof State.Ready) active.add(w);
            // Killed before it was ever ready: its slot waits for its exit, which decides the backoff.
            if (w.state() instanceof State.Failing && !w.wasEverReady()) failingBeforeReady++;
        }
        // Too many (scale down): retire the oldest first, as the longest-lived are likeliest to have grown.
        active.sort(Comparator.comparingInt(WorkerProcess::id));
        while (active.size() > target) retire(active.remove(0), "scale down to " + target);
        while (active.size() + failingBeforeReady < target && failedStarts.maySpawn(clock.getAsLong())) {
            active.add(spawnWorker());
        }
        long readyActive = active.stream().filter(w -> w.state() instanceof State.Ready).count();
        if (readyActive >= target) {
            for (WorkerProcess w : List.copyOf(workers)) {
                if (w.state() instanceof State.Retiring r) drain(w, r.reason());
            }
        }
        if (reloading && workers.stream().noneMatch(w -> w.generation() < generation)) {
            reloading = false;
            log.info("reload complete gen={}", generation);
        }
    }

    private void drain(WorkerProcess w, String reason) {
        log.info("draining {} reason={}", w, reason);
        setState(w, new State.Draining(reason, clock.getAsLong() + config.gracefulTimeout().toNanos()));
        pool.sendStop(w, config.gracefulTimeout());
    }

    private WorkerProcess spawnWorker() throws StartupException {
        long max = 0;
        if (config.maxRequests() > 0) {
            max = config.maxRequests() + (config.maxRequestsJitter() > 0
                    ? ThreadLocalRandom.current().nextLong(config.maxRequestsJitter() + 1) : 0);
        }
        try {
            WorkerProcess w = pool.spawn(nextId++, generation, max, clock.getAsLong());
            workers.add(w);
            publish();
            return w;
        } catch (IOException e) {
            throw new StartupException("cannot spawn a worker: " + e.getMessage(), 1);
        }
    }

    @Override
    public void reload() throws CommandException {
        if (stopping) throw new CommandException("stopping");
        generation++;
        reloading = true;
        for (WorkerProcess w : List.copyOf(workers)) retire(w, "reload to gen " + generation);
        log.info("reload started gen={} workers={}", generation, target);
        try {
            reconcileWorkerCount();
        } catch (StartupException e) {
            throw new CommandException(e.getMessage());
        }
    }

    @Override
    public void scale(int n) throws CommandException {
        if (n < 1 || n > 1024) throw new CommandException("workers must be between 1 and 1024");
        log.info("scale workers {} -> {}", target, n);
        target = n;
        try {
            reconcileWorkerCount();
        } catch (StartupException e) {
            throw new CommandException(e.getMessage());
        }
    }

    @Override
    public int targetWorkers() { return target; }

    private long ageMillis(WorkerProcess w) { return (clock.getAsLong() - w.startedNanos()) / 1_000_000; }

    static String describe(State s) {
        return switch (s) {
            case State.Booting b -> "booting";
            case State.Ready r -> "ready";
            case State.Retiring r -> "ready (retiring: " + r.reason() + ")";
            case State.Draining d -> "draining (" + d.reason() + ")";
            case State.Failing f -> "failing (" + f.reason() + ")";
            case State.Gone g -> "gone";
        };
    }

    @Override
    public List<Map<String, Object>> workerStatus() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (WorkerProcess w : workers) {
            out.add(Json.object("id", w.id(), "pid", w.pid(), "generation", w.generation(),
                    "state", describe(w.state()), "age_seconds", ageMillis(w) / 1000, "served", w.served(),
                    "open", w.open(), "rss_mb", Math.max(0, pool.rssKb(w) / 1024),
                    "last_heartbeat_ms", (clock.getAsLong() - w.lastHeartbeatNanos()) / 1_000_000));
            if (datagramSockets.any()) out.getLast().put("datagrams", datagramCounters(w.datagrams()));
        }
        return out;
    }

    @Override
    public Map<String, Object> counters() {
        long served = 0;
        int open = 0;
        for (WorkerProcess w : workers) {
            served += w.served();
            open += w.open();
        }
        Map<String, Object> out = Json.object("open", open, "served_by_current_workers", served,
                "max_connections", config.maxConnections(), "worker_connections", config.workerConnections());
        DispatchMode d = distribution;
        if (d != null) out.putAll(d.counters());
        if (datagramSockets.any()) {
            long in = 0, sent = 0, dropped = 0, failed = 0, undelivered = 0;
            for (WorkerProcess w : workers) {
                var s = w.datagrams();
                if (s == null) continue;
                in += s.in();
                sent += s.out();
                dropped += s.dropped();
                failed += s.failed();
                undelivered += s.undelivered();
            }
            out.put("datagrams_by_current_workers", Json.object("in", in, "out", sent, "dropped", dropped,
                    "failed", failed, "undelivered", undelivered));
        }
        return out;
    }

    private static Map<String, Object> datagramCounters(io.handoff.protocol.Message.DatagramStats s) {
        return s == null ? Json.object("in", 0, "out", 0, "dropped", 0, "failed", 0, "undelivered", 0)
                : Json.object("in", s.in(), "out", s.out(), "dropped", s.dropped(), "failed", s.failed(),
                        "undelivered", s.undelivered());
    }

    @Override
    public void reopenLogs() { pool.broadcast(new ReopenLogs()); }

    static String describeExit(int exitValue) {
        // The JDK reports death by signal N as 128 + N.
        if (exitValue > 128 && exitValue < 128 + 65) {
            int sig = exitValue - 128;
            return "signal=" + sig + " (" + Signals.name(sig) + ")";
        }
        return "status=" + exitValue;
    }

    /**
     * Stops taking connections, tells every worker to finish within {@code grace}, waits for them (the loop ends
     * here, so exit events are not waited for: the processes are), and kills what is left. True when every worker
     * exited by itself.
     */
    @Override
    public boolean stop(Duration grace) {
        stopping = true;
        if (distribution != null) distribution.stop(Duration.ofSeconds(1));
        long deadline = clock.getAsLong() + grace.toNanos();
        for (WorkerProcess w : List.copyOf(workers)) {
            switch (w.state()) {
                case State.Booting b -> {
                    setState(w, new State.Draining("stop", deadline));
                    pool.kill(w);
                }
                case State.Ready r -> stopWorker(w, deadline, grace);
                case State.Retiring r -> stopWorker(w, deadline, grace);
                case State.Draining d -> { } // already finishing within its own grace
                case State.Failing f -> pool.kill(w);
                case State.Gone g -> { }
            }
        }
        List<WorkerProcess> left = pool.awaitExit(List.copyOf(workers), grace.plusSeconds(2));
        for (WorkerProcess w : left) {
            log.warn("worker did not stop in time; killing {}", w);
            pool.kill(w);
        }
        pool.awaitExit(left, Duration.ofSeconds(5));
        pool.close();
        // Only now: the workers drained the shared datagram sockets through the supervisor's copies.
        datagramSockets.stop();
        return left.isEmpty();
    }

    private void stopWorker(WorkerProcess w, long deadline, Duration grace) {
        setState(w, new State.Draining("stop", deadline));
        pool.sendStop(w, grace);
    }

    /** Connections a worker gave back go to another worker; on a pool thread, as they carry fds, not state. */
    private void reroute(Refused refused) {
        DispatchMode d = distribution;
        if (d != null) d.reroute(refused);
        else refused.fds().forEach(Fd::close);
    }

    /** Called on pool threads: only enqueue (or hand fds to the distribution). */
    private final class QueuedEvents implements PoolEvents {
        @Override
        public void workerReady(WorkerProcess worker) { events.add(new Event.WorkerReady(worker)); }

        @Override
        public void workerExited(WorkerProcess worker, int exitValue) {
            events.add(new Event.WorkerExited(worker, exitValue));
        }

        @Override
        public void linkClosed(WorkerProcess worker) { events.add(new Event.WorkerLinkClosed(worker)); }

        @Override
        public void drained(WorkerProcess worker, boolean graceful, long served) {
            events.add(new Event.WorkerDrained(worker, graceful, served));
        }

        @Override
        public void refused(WorkerProcess worker, Refused refused) { reroute(refused); }
    }
}

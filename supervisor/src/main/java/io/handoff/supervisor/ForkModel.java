package io.handoff.supervisor;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.control.CommandRegistry.CommandException;
import io.handoff.control.Json;
import io.handoff.dispatch.DispatchMode;
import io.handoff.dispatch.HandoffLoop;
import io.handoff.dispatch.LeastLoaded;
import io.handoff.dispatch.RoundRobin;
import io.handoff.dispatch.SharedListeners;
import io.handoff.listen.Listener;
import io.handoff.process.PoolEvents;
import io.handoff.process.ProcStats;
import io.handoff.process.WorkerPool;
import io.handoff.process.WorkerProcess;
import io.handoff.process.WorkerProcess.State;
import io.handoff.protocol.Message.Refused;
import io.handoff.protocol.Message.ReopenLogs;
import io.handoff.unix.Fd;
import io.handoff.worker.WorkerMain;

/**
 * Pre-spawned worker JVMs, fed connections by the {@link DispatchMode} {@code --dispatch} picked, kept at the target count by one rule applied on every tick:
 * {@link #reconcileWorkerCount()}. Reload, scaling, recycling and crash recovery only change the target or mark
 * workers for retirement; reconcile then spawns replacements and drains retired workers once enough replacements
 * are ready, so connections always have a ready worker to go to.
 */
final class ForkModel implements ServingModel, PoolEvents {
    private static final Logger log = LoggerFactory.getLogger(ForkModel.class);
    private static final Duration YOUNG = Duration.ofSeconds(2);
    private static final int MAX_QUICK_DEATHS = 10;
    private static final long HUNG_KILL_AFTER_NANOS = Duration.ofSeconds(1).toNanos();

    private final ServeConfig config;
    private final List<Listener> listeners;
    private final BlockingQueue<Event> events;
    private final WorkerPool pool;
    /** Set in start(), before any worker exists; read by link readers (refused connections). */
    private volatile DispatchMode distribution;
    private int target;
    private int generation = 1;
    private int nextId = 1;
    private boolean ready;
    private boolean reloading;
    private volatile boolean stopping;
    private int quickDeaths;
    private long spawnNotBeforeNanos;

    ForkModel(ServeConfig config, List<Listener> listeners, BlockingQueue<Event> events) {
        this.config = config;
        this.listeners = listeners;
        this.events = events;
        this.pool = new WorkerPool(config, this);
        this.target = config.workers();
    }

    @Override
    public void start() throws StartupException {
        try {
            pool.start();
            HandoffLoop.Limits limits = HandoffLoop.Limits.of(config.maxConnections(), config.workerConnections(),
                    supervisorFdLimit() - FdBudget.RESERVE);
            distribution = switch (config.dispatch()) {
                case LEAST_LOADED -> new HandoffLoop(listeners, pool::ready, pool::workers, new LeastLoaded(), limits,
                        this::dispatcherFailed);
                case ROUND_ROBIN -> new HandoffLoop(listeners, pool::ready, pool::workers, new RoundRobin(), limits,
                        this::dispatcherFailed);
                case SHARED -> new SharedListeners(listeners);
            };
        } catch (IOException e) {
            throw new StartupException("cannot start workers: " + e.getMessage(), 1);
        }
        reconcileWorkerCount();
    }

    private static long supervisorFdLimit() {
        try {
            return io.handoff.unix.FdLimit.current().soft();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public boolean isReady() { return ready; }

    @Override
    public boolean isReloading() { return reloading; }

    @Override
    public void onEvent(Event event) throws StartupException {
        switch (event) {
            case Event.WorkerReady r -> announceReady(r.worker());
            case Event.WorkerExited x -> reapExited(x.worker(), x.exitValue());
            default -> { }
        }
        reconcileWorkerCount();
    }

    @Override
    public void tick() throws StartupException {
        long now = System.nanoTime();
        for (WorkerProcess w : pool.workers()) {
            killBootTimedOut(w);
            killHung(w, now);
            recycleIfDue(w);
            if (w.state() == State.DRAINING && now - w.drainDeadlineNanos() > Duration.ofSeconds(5).toNanos()) {
                log.warn("worker did not finish draining in time; killing {}", w);
                w.process().destroyForcibly();
            }
        }
        reconcileWorkerCount();
    }

    private void announceReady(WorkerProcess w) {
        log.info("worker ready {} boot={}ms", w, w.ageMillis());
        if (distribution instanceof SharedListeners shared) shared.share(w);
        if (!ready && pool.ready().length >= target) {
            ready = true;
            distribution.start();
        }
    }

    private void reapExited(WorkerProcess w, int exitValue) throws StartupException {
        String how = describeExit(exitValue);
        if (stopping || w.wasDrained()) {
            log.info("worker exited {} {}", w, how);
            return;
        }
        log.warn("worker died {} {} age={}ms in_flight_lost={}", w, how, w.ageMillis(), w.inFlight());
        if (exitValue == WorkerMain.EXIT_BOOT_ERROR) {
            throw new StartupException("worker " + w.id() + " cannot boot (exit " + exitValue
                    + "); its log above says why. Not respawning.", 1);
        }
        if (w.ageMillis() < YOUNG.toMillis() || w.state() == State.BOOTING) {
            if (++quickDeaths >= MAX_QUICK_DEATHS) {
                throw new StartupException(quickDeaths + " workers in a row died within " + YOUNG.toSeconds()
                        + "s of starting or before ready; giving up", 1);
            }
            long delay = Math.min(5000, 100L << Math.min(quickDeaths, 6));
            log.warn("worker {} died young; next spawn in {}ms", w.id(), delay);
            spawnNotBeforeNanos = System.nanoTime() + Duration.ofMillis(delay).toNanos();
        } else {
            quickDeaths = 0;
        }
    }

    private void killBootTimedOut(WorkerProcess w) {
        if (w.state() == State.BOOTING && w.ageMillis() > config.bootTimeout().toMillis() && w.process().isAlive()) {
            log.error("worker not ready within --boot-timeout {}s; killing {}", config.bootTimeout().toSeconds(), w);
            w.process().destroyForcibly();
        }
    }

    /**
     * A worker that misses heartbeats for {@code --timeout} is hung (its virtual-thread scheduler is stuck, or the
     * process is stopped): ask the JVM for a thread dump (SIGQUIT prints one to the log), then kill it a second
     * later. Its replacement comes from reconcile.
     */
    private void killHung(WorkerProcess w, long now) {
        if (w.state() != State.READY && w.state() != State.DRAINING) return;
        if (w.millisSinceHeartbeat() <= config.timeout().toMillis()) return;
        if (w.hungSinceNanos() == 0) {
            w.hungSince(now);
            log.error("worker hung {} no heartbeat for {}ms (--timeout {}s); thread dump follows, then kill", w,
                    w.millisSinceHeartbeat(), config.timeout().toSeconds());
            Signals.threadDump(w.pid());
            pool.exclude(w);
            if (distribution instanceof SharedListeners shared) shared.withdraw(w);
        } else if (now - w.hungSinceNanos() > HUNG_KILL_AFTER_NANOS && w.process().isAlive()) {
            w.process().destroyForcibly();
        }
    }

    private void recycleIfDue(WorkerProcess w) {
        if (w.state() != State.READY || w.isRetiring()) return;
        if (w.maxServed() > 0 && w.served() >= w.maxServed()) {
            w.retire("max-requests " + w.maxServed());
        } else if (config.maxWorkerMemoryMb() > 0) {
            long rssMb = ProcStats.rssKb(w.pid()) / 1024;
            if (rssMb > config.maxWorkerMemoryMb()) w.retire("max-worker-memory rss=" + rssMb + "MB");
        }
        if (w.isRetiring()) log.info("recycling {} reason={}", w, w.retireReason());
    }

    /**
     * The one rule: keep {@code target} workers that are not retiring; drain retiring workers only once at least
     * {@code target} others are ready to take their connections.
     */
    private void reconcileWorkerCount() throws StartupException {
        if (stopping) return;
        List<WorkerProcess> all = pool.workers();
        List<WorkerProcess> active = new ArrayList<>();
        for (WorkerProcess w : all) {
            if ((w.state() == State.BOOTING || w.state() == State.READY) && !w.isRetiring()) active.add(w);
        }
        // Too many (scale down): retire the oldest first, as the longest-lived are likeliest to have grown.
        active.sort(Comparator.comparingInt(WorkerProcess::id));
        while (active.size() > target) active.remove(0).retire("scale down to " + target);
        while (active.size() < target && System.nanoTime() >= spawnNotBeforeNanos) {
            active.add(spawnWorker());
        }
        long readyActive = active.stream().filter(WorkerProcess::isReady).count();
        for (WorkerProcess w : all) {
            if (!w.isRetiring()) continue;
            if (w.state() == State.BOOTING) {
                w.process().destroyForcibly(); // never served anything: nothing to drain
            } else if (w.state() == State.READY && readyActive >= target) {
                log.info("draining {} reason={}", w, w.retireReason());
                pool.drain(w, config.gracefulTimeout());
            }
        }
        if (reloading && all.stream().noneMatch(w -> w.generation() < generation && w.state() != State.GONE)) {
            reloading = false;
            log.info("reload complete gen={}", generation);
        }
    }

    private WorkerProcess spawnWorker() throws StartupException {
        long max = 0;
        if (config.maxRequests() > 0) {
            max = config.maxRequests() + (config.maxRequestsJitter() > 0
                    ? ThreadLocalRandom.current().nextLong(config.maxRequestsJitter() + 1) : 0);
        }
        try {
            return pool.spawn(nextId++, generation, max);
        } catch (IOException e) {
            throw new StartupException("cannot spawn a worker: " + e.getMessage(), 1);
        }
    }

    @Override
    public void reload() throws CommandException {
        if (stopping) throw new CommandException("stopping");
        generation++;
        reloading = true;
        for (WorkerProcess w : pool.workers()) {
            if (w.state() == State.BOOTING || w.state() == State.READY) w.retire("reload to gen " + generation);
        }
        log.info("reload started gen={} workers={}", generation, target);
        try {
            reconcileWorkerCount();
        } catch (StartupException e) {
            throw new CommandException(e.getMessage());
        }
    }

    @Override
    public void scale(int workers) throws CommandException {
        if (workers < 1 || workers > 1024) throw new CommandException("workers must be between 1 and 1024");
        log.info("scale workers {} -> {}", target, workers);
        target = workers;
        try {
            reconcileWorkerCount();
        } catch (StartupException e) {
            throw new CommandException(e.getMessage());
        }
    }

    @Override
    public int targetWorkers() { return target; }

    @Override
    public List<Map<String, Object>> workerStatus() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (WorkerProcess w : pool.workers()) {
            out.add(Json.object("id", w.id(), "pid", w.pid(), "generation", w.generation(),
                    "state", w.state().name().toLowerCase() + (w.isRetiring() && w.state() == State.READY
                            ? " (retiring)" : ""),
                    "age_seconds", w.ageMillis() / 1000, "served", w.served(), "open", w.open(),
                    "rss_mb", Math.max(0, ProcStats.rssKb(w.pid()) / 1024),
                    "last_heartbeat_ms", w.millisSinceHeartbeat()));
        }
        return out;
    }

    @Override
    public Map<String, Object> counters() {
        long served = 0;
        int open = 0;
        for (WorkerProcess w : pool.workers()) {
            served += w.served();
            open += w.open();
        }
        Map<String, Object> out = Json.object("open", open, "served_by_current_workers", served,
                "max_connections", config.maxConnections(), "worker_connections", config.workerConnections());
        DispatchMode d = distribution;
        if (d != null) out.putAll(d.counters());
        return out;
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

    @Override
    public boolean stop(Duration grace) {
        stopping = true;
        if (distribution != null) distribution.stop(Duration.ofSeconds(1));
        else listeners.forEach(Listener::close);
        boolean graceful = pool.stopAll(grace);
        pool.close();
        return graceful;
    }

    private void dispatcherFailed() { events.add(new Event.Fatal("the dispatcher failed (see the error above)")); }

    // PoolEvents: called on pool threads; only enqueue or hand data to the dispatcher.

    @Override
    public void workerReady(WorkerProcess worker) { events.add(new Event.WorkerReady(worker)); }

    @Override
    public void workerExited(WorkerProcess worker, int exitValue) {
        events.add(new Event.WorkerExited(worker, exitValue));
    }

    @Override
    public void refused(WorkerProcess worker, Refused refused) {
        DispatchMode d = distribution;
        if (d != null) d.reroute(refused);
        else refused.fds().forEach(Fd::close);
    }
}

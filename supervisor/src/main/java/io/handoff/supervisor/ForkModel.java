package io.handoff.supervisor;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.dispatch.Dispatcher;
import io.handoff.listen.Listener;
import io.handoff.process.PoolEvents;
import io.handoff.process.WorkerPool;
import io.handoff.process.WorkerProcess;
import io.handoff.protocol.Message.Refused;
import io.handoff.worker.WorkerMain;

/**
 * Pre-spawned worker JVMs fed by the dispatcher. Keeps {@code workers} processes alive: a worker that dies is
 * logged and replaced, with a growing delay when workers die young, and a worker that cannot boot at all stops
 * the supervisor instead of being respawned forever.
 */
final class ForkModel implements ServingModel, PoolEvents {
    private static final Logger log = LoggerFactory.getLogger(ForkModel.class);
    private static final Duration YOUNG = Duration.ofSeconds(2);
    private static final int MAX_QUICK_DEATHS = 10;

    private final ServeConfig config;
    private final List<Listener> listeners;
    private final BlockingQueue<Event> events;
    private final WorkerPool pool;
    private Dispatcher dispatcher;
    private boolean ready;
    private volatile boolean stopping;
    private int quickDeaths;

    ForkModel(ServeConfig config, List<Listener> listeners, BlockingQueue<Event> events) {
        this.config = config;
        this.listeners = listeners;
        this.events = events;
        this.pool = new WorkerPool(config, this);
    }

    @Override
    public void start() throws StartupException {
        try {
            pool.start();
            dispatcher = new Dispatcher(listeners, pool::ready);
            for (int slot = 1; slot <= config.workers(); slot++) pool.spawn(slot);
        } catch (IOException e) {
            throw new StartupException("cannot start workers: " + e.getMessage(), 1);
        }
    }

    @Override
    public boolean isReady() { return ready; }

    @Override
    public void onEvent(Event event) throws StartupException {
        switch (event) {
            case Event.WorkerReady r -> onWorkerReady(r.worker());
            case Event.WorkerExited x -> onWorkerExited(x.worker(), x.exitValue());
            case Event.Respawn r -> spawn(r.slot());
            default -> { }
        }
    }

    private void onWorkerReady(WorkerProcess w) {
        log.info("worker ready {} boot={}ms", w, w.ageMillis());
        if (!ready && pool.ready().length == config.workers()) {
            ready = true;
            dispatcher.start();
        }
    }

    private void onWorkerExited(WorkerProcess w, int exitValue) throws StartupException {
        String how = describeExit(exitValue);
        if (stopping) {
            log.info("worker exited {} {}", w, how);
            return;
        }
        log.warn("worker died {} {} age={}ms in_flight_lost={}", w, how, w.ageMillis(), w.inFlight());
        if (exitValue == WorkerMain.EXIT_BOOT_ERROR) {
            throw new StartupException("worker " + w.slot() + " cannot boot (exit " + exitValue
                    + "); its log above says why. Not respawning.", 1);
        }
        if (w.ageMillis() < YOUNG.toMillis()) {
            if (++quickDeaths >= MAX_QUICK_DEATHS) {
                throw new StartupException(quickDeaths + " workers in a row died within " + YOUNG.toSeconds()
                        + "s of starting; giving up", 1);
            }
            long delay = Math.min(5000, 100L << Math.min(quickDeaths, 6));
            log.warn("worker slot={} died young; respawning in {}ms", w.slot(), delay);
            CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS)
                    .execute(() -> events.add(new Event.Respawn(w.slot())));
        } else {
            quickDeaths = 0;
            spawn(w.slot());
        }
    }

    private void spawn(int slot) throws StartupException {
        if (stopping) return;
        try {
            pool.spawn(slot);
        } catch (IOException e) {
            throw new StartupException("cannot spawn a worker: " + e.getMessage(), 1);
        }
    }

    static String describeExit(int exitValue) {
        // The JDK reports death by signal N as 128 + N.
        if (exitValue > 128 && exitValue < 128 + 65) {
            int sig = exitValue - 128;
            return "signal=" + sig + " (" + signalName(sig) + ")";
        }
        return "status=" + exitValue;
    }

    private static String signalName(int sig) {
        return switch (sig) {
            case 1 -> "HUP"; case 2 -> "INT"; case 3 -> "QUIT"; case 6 -> "ABRT"; case 9 -> "KILL";
            case 11 -> "SEGV"; case 13 -> "PIPE"; case 15 -> "TERM";
            default -> "SIG" + sig;
        };
    }

    @Override
    public boolean stop(Duration grace) {
        stopping = true;
        if (dispatcher != null) dispatcher.stop(Duration.ofSeconds(1));
        else listeners.forEach(Listener::close);
        boolean graceful = pool.stopAll(grace);
        pool.close();
        return graceful;
    }

    // PoolEvents: called on pool threads; only enqueue or hand data to the dispatcher.

    @Override
    public void workerReady(WorkerProcess worker) { events.add(new Event.WorkerReady(worker)); }

    @Override
    public void workerExited(WorkerProcess worker, int exitValue) {
        events.add(new Event.WorkerExited(worker, exitValue));
    }

    @Override
    public void refused(WorkerProcess worker, Refused refused) {
        if (dispatcher != null) dispatcher.reroute(refused.fds(), refused.families());
        else refused.fds().forEach(io.handoff.unix.Fd::close);
    }
}

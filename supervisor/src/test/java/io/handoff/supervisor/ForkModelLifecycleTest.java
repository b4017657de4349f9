package io.handoff.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import io.handoff.dispatch.DispatchMode;
import io.handoff.listen.BindAddress;
import io.handoff.process.Pool;
import io.handoff.process.WorkerProcess;
import io.handoff.process.WorkerProcess.State;
import io.handoff.protocol.Message;
import io.handoff.protocol.Message.Refused;
import io.handoff.supervisor.ServingModel.StartupException;
import io.handoff.worker.WorkerMain;

/**
 * The fork model's lifecycle verbs (reconcile, reap, backoff, give-up, drain, recycle, hung, stop) against a fake
 * pool, a fake distribution and a clock the test moves: every decision the supervisor loop makes about its workers,
 * without a process. The real-process tests prove the wiring.
 */
class ForkModelLifecycleTest {
    private long now = 1_000_000_000L;
    private final FakePool pool = new FakePool();
    private final FakeDispatchMode distribution = new FakeDispatchMode();
    private ForkModel model;

    private ForkModel model(int workers, int bootTimeoutSeconds, long maxRequests, long maxMemoryMb) {
        ServeConfig config = new ServeConfig(ServeConfig.Model.fork, workers, ServeConfig.Dispatch.SHARED, 1, 1,
                List.of(BindAddress.parse("127.0.0.1:0")), "hello", null, null, 16,
                Duration.ofSeconds(10), Duration.ofSeconds(bootTimeoutSeconds), Duration.ofSeconds(30),
                maxRequests, 0, maxMemoryMb, Duration.ofSeconds(60), Duration.ofSeconds(30), 16384, 1 << 20,
                null, null, null, 1000, 500);
        model = new ForkModel(config, new LinkedBlockingQueue<>(), () -> now, events -> pool,
                (ready, all, onFailure) -> distribution.wire(ready, all));
        return model;
    }

    private ForkModel model(int workers) { return model(workers, 30, 0, 0); }

    private void advance(Duration d) { now += d.toNanos(); }

    private void ready(WorkerProcess w) throws StartupException {
        w.reported(0, 0, now);
        model.onEvent(new Event.WorkerReady(w));
    }

    private void exited(WorkerProcess w, int status) throws StartupException {
        model.onEvent(new Event.WorkerExited(w, status));
    }

    /** Heartbeats from every worker still running, as their link readers would record them. */
    private void heartbeats() {
        for (WorkerProcess w : pool.spawned) if (!(w.state() instanceof State.Gone)) w.reported(0, w.served(), now);
    }

    private void tickAfter(Duration d) throws StartupException {
        advance(d);
        heartbeats();
        model.tick();
    }

    private List<WorkerProcess> startReady(int workers) throws StartupException {
        model(workers);
        model.start();
        List<WorkerProcess> first = List.copyOf(pool.spawned);
        for (WorkerProcess w : first) ready(w);
        return first;
    }

    @Test
    void startsTheTargetAndIsReadyOnceAllAreReady() throws Exception {
        model(2);
        model.start();
        assertEquals(2, pool.spawned.size());
        assertFalse(model.isReady());
        ready(pool.spawned.get(0));
        assertFalse(model.isReady(), "one of two ready");
        assertEquals(1, distribution.ready().length);
        ready(pool.spawned.get(1));
        assertTrue(model.isReady());
        assertTrue(distribution.started);
        assertEquals(2, distribution.ready().length);
    }

    @Test
    void aCrashedWorkerIsReplacedAtOnceAndItsConnectionsGoNowhere() throws Exception {
        List<WorkerProcess> w = startReady(2);
        tickAfter(Duration.ofSeconds(10));
        exited(w.get(0), 137);
        assertInstanceOf(State.Gone.class, w.get(0).state());
        assertEquals(1, distribution.ready().length, "the dead worker is out of dispatch before anything else");
        assertEquals(3, pool.spawned.size(), "replaced without delay: it had served for long");
        assertFalse(List.of(distribution.all()).contains(w.get(0)));
    }

    /** The fault where a worker killed by --boot-timeout (older than 2 s) was respawned forever without backoff. */
    @Test
    void deathsBeforeReadyBackOffAndThenGiveUp() throws Exception {
        model(1, 5, 0, 0);
        model.start();
        List<Long> delays = new ArrayList<>();
        StartupException gaveUp = null;
        for (int attempt = 1; attempt <= FailedStarts.MAX && gaveUp == null; attempt++) {
            WorkerProcess w = pool.spawned.get(pool.spawned.size() - 1);
            tickAfter(Duration.ofSeconds(4));
            assertFalse(pool.killed.contains(w), "killed before --boot-timeout");
            tickAfter(Duration.ofMillis(1100));
            assertTrue(pool.killed.contains(w), "killed at --boot-timeout");
            assertFalse(distribution.ready().length > 0);
            int before = pool.spawned.size();
            try {
                exited(w, 137);
            } catch (StartupException e) {
                gaveUp = e;
                break;
            }
            assertEquals(before, pool.spawned.size(), "no respawn straight after a death before ready");
            long waited = 0;
            while (pool.spawned.size() == before) {
                tickAfter(Duration.ofMillis(50));
                waited += 50;
                assertTrue(waited < 10_000, "respawned within 10 s");
            }
            delays.add(waited);
        }
        assertTrue(gaveUp != null, "gave up after " + FailedStarts.MAX + " failed starts");
        assertTrue(gaveUp.getMessage().contains(FailedStarts.MAX + " workers in a row failed to start"),
                gaveUp.getMessage());
        assertEquals(1, gaveUp.status());
        assertEquals(FailedStarts.MAX - 1, delays.size());
        for (int i = 0; i < delays.size(); i++) {
            long expected = FailedStarts.backoffMillis(i + 1);
            assertTrue(delays.get(i) >= expected && delays.get(i) <= expected + 50, "delay " + i + ": " + delays);
        }
        assertTrue(delays.get(1) > delays.get(0), "the delay grows: " + delays);
    }

    @Test
    void aWorkerThatCannotBootStopsTheSupervisorAtOnce() throws Exception {
        model(2);
        model.start();
        StartupException e = assertThrows(StartupException.class,
                () -> exited(pool.spawned.get(0), WorkerMain.EXIT_BOOT_ERROR));
        assertTrue(e.getMessage().contains("cannot boot"), e.getMessage());
    }

    @Test
    void failedStartsAreForgottenOnceAReplacementServes() throws Exception {
        List<WorkerProcess> w = startReady(1);
        tickAfter(Duration.ofSeconds(1));
        exited(w.get(0), 137); // young: counts
        while (pool.spawned.size() == 1) tickAfter(Duration.ofMillis(50));
        WorkerProcess second = pool.spawned.get(1);
        ready(second);
        tickAfter(Duration.ofMillis(2100)); // ready for YOUNG: the failure is forgiven
        exited(second, 137); // not young either: replaced at once
        assertEquals(3, pool.spawned.size());
        WorkerProcess third = pool.spawned.get(2);
        exited(third, 137); // before ready: the first failure of a fresh count, so the shortest delay
        long waited = 0;
        while (pool.spawned.size() == 3) {
            tickAfter(Duration.ofMillis(50));
            waited += 50;
        }
        assertTrue(waited <= FailedStarts.backoffMillis(1) + 50, "waited " + waited);
    }

    @Test
    void reloadStartsNewWorkersAndDrainsOldOnesOnlyOnceTheNewAreReady() throws Exception {
        List<WorkerProcess> old = startReady(2);
        model.reload();
        assertTrue(model.isReloading());
        assertEquals(4, pool.spawned.size());
        for (WorkerProcess w : old) assertInstanceOf(State.Retiring.class, w.state());
        assertEquals(2, distribution.ready().length, "old ones serve until replaced");
        WorkerProcess new1 = pool.spawned.get(2), new2 = pool.spawned.get(3);
        assertEquals(2, new1.generation());
        ready(new1);
        assertTrue(pool.stopped.isEmpty(), "no drain before both replacements are ready");
        ready(new2);
        assertEquals(Set.copyOf(old), Set.copyOf(pool.stopped));
        for (WorkerProcess w : old) assertInstanceOf(State.Draining.class, w.state());
        assertEquals(Set.of(new1, new2), Set.of(distribution.ready()));
        for (WorkerProcess w : old) exited(w, 0);
        assertFalse(model.isReloading());
        assertEquals(4, pool.spawned.size(), "drained workers' exits are expected: no respawn");
    }

    @Test
    void reloadWhileWorkersBootKillsThemAtOnce() throws Exception {
        model(1);
        model.start();
        WorkerProcess booting = pool.spawned.get(0);
        model.reload();
        assertTrue(pool.killed.contains(booting));
        assertEquals(2, pool.spawned.size());
        exited(booting, 137);
        assertEquals(2, pool.spawned.size(), "its exit was expected: no extra spawn, no backoff");
        ready(booting); // a Ready that was already on its way: ignored
        assertEquals(0, distribution.ready().length);
    }

    @Test
    void scaleDownRetiresTheOldestAndScaleUpSpawns() throws Exception {
        List<WorkerProcess> w = startReady(3);
        model.scale(2);
        assertEquals(List.of(w.get(0)), pool.stopped, "the oldest drains; two others are ready");
        model.scale(4);
        assertEquals(5, pool.spawned.size());
        assertThrows(io.handoff.control.CommandRegistry.CommandException.class, () -> model.scale(0));
    }

    @Test
    void aWorkerIsRecycledAfterMaxRequestsOnceItsReplacementIsReady() throws Exception {
        model(1, 30, 100, 0);
        model.start();
        WorkerProcess w = pool.spawned.get(0);
        ready(w);
        w.reported(3, 100, now);
        tickAfter(Duration.ofMillis(200));
        assertInstanceOf(State.Retiring.class, w.state());
        assertEquals(2, pool.spawned.size());
        assertTrue(pool.stopped.isEmpty());
        ready(pool.spawned.get(1));
        assertEquals(List.of(w), pool.stopped);
    }

    @Test
    void aWorkerIsRecycledOnceItsMemoryPassesTheLimit() throws Exception {
        model(1, 30, 0, 200);
        model.start();
        WorkerProcess w = pool.spawned.get(0);
        ready(w);
        tickAfter(Duration.ofMillis(200));
        assertInstanceOf(State.Ready.class, w.state());
        pool.rssKb.put(w, 300L * 1024);
        tickAfter(Duration.ofMillis(200));
        assertTrue(w.state() instanceof State.Retiring r && r.reason().contains("max-worker-memory"), "" + w.state());
    }

    @Test
    void aHungWorkerIsTakenOutThenDumpedThenKilled() throws Exception {
        List<WorkerProcess> w = startReady(2);
        WorkerProcess hung = w.get(0);
        for (int i = 0; i < 31; i++) {
            advance(Duration.ofSeconds(1));
            w.get(1).reported(0, 0, now); // only the other one heartbeats
            model.tick();
        }
        assertTrue(pool.dumped.contains(hung));
        assertFalse(List.of(distribution.ready()).contains(hung));
        assertFalse(pool.killed.contains(hung), "a second for the thread dump first");
        assertEquals(3, pool.spawned.size(), "replacement on its way");
        advance(Duration.ofMillis(1100));
        w.get(1).reported(0, 0, now);
        model.tick();
        assertTrue(pool.killed.contains(hung));
    }

    @Test
    void aBrokenLinkTakesTheWorkerOutAtOnceAndKillsItIfItLingers() throws Exception {
        List<WorkerProcess> w = startReady(2);
        model.onEvent(new Event.WorkerLinkClosed(w.get(0)));
        assertFalse(List.of(distribution.ready()).contains(w.get(0)));
        assertEquals(3, pool.spawned.size());
        tickAfter(Duration.ofSeconds(4));
        assertFalse(pool.killed.contains(w.get(0)));
        tickAfter(Duration.ofMillis(1100));
        assertTrue(pool.killed.contains(w.get(0)));
    }

    @Test
    void aDrainingWorkerPastItsDeadlineIsKilled() throws Exception {
        List<WorkerProcess> w = startReady(2);
        model.scale(1);
        assertEquals(List.of(w.get(0)), pool.stopped);
        tickAfter(Duration.ofSeconds(14)); // graceful timeout 10 s, then 5 s more
        assertFalse(pool.killed.contains(w.get(0)));
        tickAfter(Duration.ofMillis(1100));
        assertTrue(pool.killed.contains(w.get(0)));
    }

    @Test
    void stopDrainsEveryWorkerAndKillsWhatIsLeft() throws Exception {
        List<WorkerProcess> w = startReady(2);
        pool.ignoresStop.add(w.get(1));
        assertFalse(model.stop(Duration.ofSeconds(1)), "one worker had to be killed");
        assertEquals(Set.copyOf(w), Set.copyOf(pool.stopped));
        assertTrue(pool.killed.contains(w.get(1)));
        assertFalse(pool.killed.contains(w.get(0)));
        assertTrue(distribution.stopped);
        assertTrue(pool.closed);
    }

    /** Records what the lifecycle asked of it; its workers exit only when the test says so. */
    private static final class FakePool implements Pool {
        final List<WorkerProcess> spawned = new ArrayList<>();
        final List<WorkerProcess> stopped = new ArrayList<>();
        final Set<WorkerProcess> killed = new HashSet<>();
        final Set<WorkerProcess> dumped = new HashSet<>();
        final Set<WorkerProcess> ignoresStop = new HashSet<>();
        final Map<WorkerProcess, Long> rssKb = new HashMap<>();
        boolean closed;

        @Override
        public void start() {}

        @Override
        public WorkerProcess spawn(int id, int generation, long maxServed, long nowNanos) {
            WorkerProcess w = new WorkerProcess(id, generation, 10_000 + id, nowNanos, maxServed);
            spawned.add(w);
            return w;
        }

        @Override
        public void sendStop(WorkerProcess w, Duration grace) { stopped.add(w); }

        @Override
        public void kill(WorkerProcess w) { killed.add(w); }

        @Override
        public void threadDump(WorkerProcess w) { dumped.add(w); }

        @Override
        public long rssKb(WorkerProcess w) { return rssKb.getOrDefault(w, 60L * 1024); }

        @Override
        public void broadcast(Message m) {}

        @Override
        public List<WorkerProcess> awaitExit(List<WorkerProcess> workers, Duration timeout) {
            return workers.stream().filter(w -> !killed.contains(w) && (ignoresStop.contains(w)
                    || !stopped.contains(w))).toList();
        }

        @Override
        public void close() { closed = true; }
    }

    private static final class FakeDispatchMode implements DispatchMode {
        Supplier<WorkerProcess[]> ready;
        Supplier<List<WorkerProcess>> all;
        boolean started;
        boolean stopped;

        FakeDispatchMode wire(Supplier<WorkerProcess[]> ready, Supplier<List<WorkerProcess>> all) {
            this.ready = ready;
            this.all = all;
            return this;
        }

        WorkerProcess[] ready() { return ready.get(); }

        WorkerProcess[] all() { return all.get().toArray(WorkerProcess[]::new); }

        @Override
        public void start() { started = true; }

        @Override
        public void reroute(Refused refused) {}

        @Override
        public void stop(Duration flush) { stopped = true; }
    }
}

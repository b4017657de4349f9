package io.handoff.supervisor;

import java.time.Duration;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.process.WorkerProcess;

/**
 * The fork model's patience with workers that do not get going: a worker that dies before it was ready (however long
 * it took), or within {@link #YOUNG} of starting, is a failed start. Each one in a row delays the next spawn longer;
 * {@link #MAX} in a row and the supervisor gives up rather than respawn into the same failure forever. Once a worker
 * spawned after the last failure has been ready for {@link #YOUNG}, whatever failed has passed and the count starts
 * again. Supervisor loop only; times are on the loop's clock.
 */
final class FailedStarts {
    private static final Logger log = LoggerFactory.getLogger(FailedStarts.class);
    static final Duration YOUNG = Duration.ofSeconds(2);
    static final int MAX = 5;

    private int inARow;
    private long lastNanos;
    private long spawnNotBeforeNanos;

    /** Whether the death of {@code w} at {@code nowNanos} is a failed start. */
    static boolean isFailedStart(WorkerProcess w, long nowNanos) {
        return !w.wasEverReady() || nowNanos - w.startedNanos() < YOUNG.toNanos();
    }

    /**
     * Counts the failed start of {@code w} and delays the next spawn; throws once there were {@link #MAX} in a row.
     */
    void record(WorkerProcess w, long nowNanos) throws ServingModel.StartupException {
        inARow++;
        lastNanos = nowNanos;
        String what = w.wasEverReady() ? "died within " + YOUNG.toSeconds() + "s of starting" : "died before ready";
        if (inARow >= MAX) {
            throw new ServingModel.StartupException(inARow + " workers in a row failed to start (the last " + what
                    + "; see its log above); giving up", Supervisor.EXIT_FAILURE);
        }
        long delayMillis = backoffMillis(inARow);
        log.warn("worker {} {}; next spawn in {}ms (failed starts in a row: {} of {})", w.id(), what, delayMillis,
                inARow, MAX);
        spawnNotBeforeNanos = nowNanos + Duration.ofMillis(delayMillis).toNanos();
    }

    /** 200 ms after the first failure, doubling, at most 5 s. */
    static long backoffMillis(int failures) { return Math.min(5000, 100L << Math.min(failures, 6)); }

    boolean maySpawn(long nowNanos) { return nowNanos >= spawnNotBeforeNanos; }

    /** Forgets the count once a worker spawned after the last failure has been ready for {@link #YOUNG}. */
    void forgiveIfServing(List<WorkerProcess> workers, long nowNanos) {
        if (inARow == 0) return;
        for (WorkerProcess w : workers) {
            if (w.isReady() && w.startedNanos() > lastNanos && nowNanos - w.readyNanos() >= YOUNG.toNanos()) {
                log.info("workers start again ({} ready for {}s); failed starts forgotten", w, YOUNG.toSeconds());
                inARow = 0;
                return;
            }
        }
    }
}

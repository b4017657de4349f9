package io.handoff.engine;

import java.time.Duration;

/** Graceful, then forced: wait for open connections to finish, interrupt the rest at the deadline. */
final class Drain {
    private Drain() {}

    static boolean await(ConnectionRunner runner, Duration grace) throws InterruptedException {
        runner.startDraining();
        long deadline = System.nanoTime() + grace.toNanos();
        while (runner.open() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        if (runner.open() == 0) return true;
        runner.interruptAll();
        long hardDeadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (runner.open() > 0 && System.nanoTime() < hardDeadline) Thread.sleep(10);
        if (runner.open() > 0) {
            // A handler that ignores interrupts: its connection is closed, its thread cannot be stopped.
            org.slf4j.LoggerFactory.getLogger(Drain.class).warn("handlers still running after the forced stop count={}",
                    runner.open());
        }
        return false;
    }
}

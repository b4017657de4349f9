package io.handoff.engine;

import java.time.Duration;

import io.handoff.handler.Handler;
import io.handoff.handler.Timeouts;

/**
 * The part the blocking engines share: one {@link ConnectionRunner} counts, drains and times out the connections,
 * whatever threads run them; the subclass decides only where {@link #serve} runs a connection.
 */
abstract class RunnerEngine implements Engine {
    protected final ConnectionRunner runner;
    private final String name;

    RunnerEngine(Handler handler, Timeouts timeouts, String name) {
        this.runner = new ConnectionRunner(handler, timeouts, name);
        this.name = name;
    }

    @Override
    public final void handler(Handler handler) { runner.handler(handler); }

    @Override
    public final void startDraining() { runner.startDraining(); }

    @Override
    public final int open() { return runner.open(); }

    @Override
    public final long served() { return runner.served(); }

    @Override
    public final boolean whenFinished(Runnable listener) {
        runner.whenFinished(listener);
        return true;
    }

    /** Waits for the open connections up to {@code grace}, then lets {@link #stopThreads} end what is left. */
    @Override
    public boolean shutdown(Duration grace) throws InterruptedException {
        try {
            boolean graceful = Drain.await(runner, grace);
            stopThreads();
            return graceful;
        } finally {
            runner.close();
        }
    }

    /** After the grace period: interrupts and waits for the threads still serving; nothing to do by default. */
    protected void stopThreads() throws InterruptedException {}

    @Override
    public final String name() { return name; }
}

package io.handoff.engine;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.handoff.handler.Handler;
import io.handoff.handler.Timeouts;

/**
 * A fixed pool of platform threads, one connection per thread at a time. When every thread is busy, the acceptor
 * waits in {@link #awaitSlot()} before calling accept, so new clients wait in the kernel's listen backlog (not in a
 * queue inside the process): overload shows up as connect latency, never as unbounded memory.
 */
public final class ThreadPoolEngine extends RunnerEngine {
    private final ExecutorService pool;
    private final Semaphore slots;

    public ThreadPoolEngine(Handler handler, int threads) { this(handler, threads, Timeouts.NONE); }

    public ThreadPoolEngine(Handler handler, int threads, Timeouts timeouts) {
        super(handler, timeouts, "threads");
        this.slots = new Semaphore(threads);
        this.pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("pool-", 1).daemon().factory());
    }

    @Override
    public void awaitSlot() throws InterruptedException { slots.acquire(); }

    @Override
    public void releaseSlot() { slots.release(); }

    @Override
    public void serve(SocketChannel channel) {
        runner.admitted();
        try {
            pool.execute(() -> {
                try {
                    runner.run(channel);
                } finally {
                    slots.release();
                }
            });
        } catch (RejectedExecutionException e) {
            // Shut down between the accept and here: the connection ends unserved, the counts still balance.
            runner.rejected(channel);
            slots.release();
        }
    }

    @Override
    public boolean shutdown(Duration grace) throws InterruptedException {
        pool.shutdown(); // queued connections still run; one accepted from now on is rejected, and counted
        return super.shutdown(grace);
    }

    @Override
    protected void stopThreads() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(1, TimeUnit.SECONDS);
    }
}

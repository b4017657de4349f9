package io.handoff.engine;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;

import io.handoff.handler.Handler;
import io.handoff.handler.Timeouts;

/** One virtual thread per connection; nothing bounds it but the process's fds and memory. */
public final class VirtualThreadEngine implements Engine {
    private final ConnectionRunner runner;
    private final ThreadFactory threads = Thread.ofVirtual().name("conn-", 1).factory();

    public VirtualThreadEngine(Handler handler) { this(handler, Timeouts.NONE); }

    public VirtualThreadEngine(Handler handler, Timeouts timeouts) {
        this.runner = new ConnectionRunner(handler, timeouts, "virtual");
    }

    @Override
    public void awaitSlot() {}

    @Override
    public void releaseSlot() {}

    @Override
    public void serve(SocketChannel channel) {
        runner.admitted();
        try {
            threads.newThread(() -> runner.run(channel)).start();
        } catch (RuntimeException | OutOfMemoryError e) {
            runner.rejected(channel);
            throw e;
        }
    }

    @Override
    public void handler(Handler handler) { runner.handler(handler); }

    @Override
    public void startDraining() { runner.startDraining(); }

    @Override
    public int open() { return runner.open(); }

    @Override
    public long served() { return runner.served(); }

    @Override
    public boolean shutdown(Duration grace) throws InterruptedException {
        try {
            return Drain.await(runner, grace);
        } finally {
            runner.close();
        }
    }

    @Override
    public String name() { return "virtual"; }
}

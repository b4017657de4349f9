package io.handoff.engine;

import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadFactory;

import io.handoff.handler.Handler;
import io.handoff.handler.Timeouts;

/** One virtual thread per connection; nothing bounds it but the process's fds and memory. */
public final class VirtualThreadEngine extends RunnerEngine {
    private final ThreadFactory threads = Thread.ofVirtual().name("conn-", 1).factory();

    public VirtualThreadEngine(Handler handler) { this(handler, Timeouts.NONE); }

    public VirtualThreadEngine(Handler handler, Timeouts timeouts) {
        super(handler, timeouts, "virtual");
    }

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
}

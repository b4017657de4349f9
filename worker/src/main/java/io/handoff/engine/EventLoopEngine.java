package io.handoff.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.handler.EventHandler;
import io.handoff.handler.Handler;
import io.handoff.handler.Timeouts;

/**
 * The textbook asynchronous server: a few selector threads (one per core by default), each multiplexing many
 * non-blocking connections, with the handler's {@link EventHandler} form as a state machine per connection. No
 * thread ever waits on a client; a connection costs a key, a small object and the session's state.
 *
 * <p>Connections arrive through {@link #serve} (from the model's acceptor) and are dealt to the loops round-robin, so
 * long-lived connections spread evenly; from then on everything about a connection happens on its loop. Nothing
 * bounds the number of connections but fds and memory, as in the virtual-thread engine.
 */
public final class EventLoopEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(EventLoopEngine.class);

    private final EventLoop[] loops;
    private final AtomicInteger next = new AtomicInteger();
    /** Handed to a loop and not yet closed, so a connection still queued for its loop counts too. */
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private volatile EventHandler handler;
    private volatile boolean draining;
    private volatile boolean stopped;

    /**
     * @param handler a handler with an event-loop form (the built-in hello, echo and http)
     * @param loops   selector threads
     * @throws IllegalArgumentException when the handler has no event-loop form
     */
    public EventLoopEngine(Handler handler, int loops) { this(handler, loops, Timeouts.NONE); }

    /**
     * @param timeouts enforced by each loop on its own connections, between its selects: no extra thread
     */
    public EventLoopEngine(Handler handler, int loops, Timeouts timeouts) {
        if (loops < 1) throw new IllegalArgumentException("event loops must be at least 1, got " + loops);
        this.handler = eventForm(handler);
        this.loops = new EventLoop[loops];
        try {
            for (int i = 0; i < loops; i++) this.loops[i] = new EventLoop(this, i, timeouts);
        } catch (IOException e) {
            for (EventLoop l : this.loops) if (l != null) l.discard();
            throw new UncheckedIOException("cannot open a selector", e);
        }
        for (EventLoop l : this.loops) l.start();
    }

    private static EventHandler eventForm(Handler handler) {
        if (handler instanceof EventHandler e) return e;
        throw new IllegalArgumentException("the event loop runs handlers that implement " + EventHandler.class.getName()
                + " (the built-in hello, echo, http); " + handler.getClass().getName() + " is blocking code");
    }

    /** Called on the acceptor's thread: the per-connection syscalls happen here, off the loops. */
    @Override
    public void serve(SocketChannel channel) {
        open.incrementAndGet();
        if (stopped) {
            closeUnserved(channel);
            return;
        }
        try {
            // TCP_NODELAY comes with the connection: the listener has it (see Sockets.setNoDelay).
            channel.configureBlocking(false);
        } catch (IOException e) {
            log.debug("connection lost before it was served error={}", e.toString());
            closeUnserved(channel);
            return;
        }
        loops[Math.floorMod(next.getAndIncrement(), loops.length)].adopt(channel);
    }

    /** Closes a connection no loop took (it was never opened by a session). */
    void closeUnserved(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
        closed();
    }

    /** Every connection ends here exactly once, on whatever path it closed. */
    void closed() {
        open.decrementAndGet();
        served.incrementAndGet();
    }

    EventHandler handler() { return handler; }

    boolean isDraining() { return draining; }

    @Override
    public void startDraining() { draining = true; }

    @Override
    public void handler(Handler handler) { this.handler = eventForm(handler); }

    @Override
    public int open() { return open.get(); }

    @Override
    public long served() { return served.get(); }

    /**
     * Draining first: every session sees {@link io.handoff.handler.EventConnection#isDraining()} (an HTTP keep-alive
     * connection says Connection: close on its next response) and connections end on their own. At the deadline the
     * loops stop and close whatever is still open.
     */
    @Override
    public boolean shutdown(Duration grace) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (open.get() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        boolean graceful = open.get() == 0;
        stopped = true;
        for (EventLoop l : loops) l.stop();
        for (EventLoop l : loops) l.await(Duration.ofSeconds(1));
        // A connection the acceptor handed over while the loops were ending.
        for (EventLoop l : loops) l.closeQueued();
        return graceful;
    }

    @Override
    public String name() { return "events"; }
}

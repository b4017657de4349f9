package io.handoff.engine;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.handler.Connection;
import io.handoff.handler.Handler;
import io.handoff.handler.TimeoutWatcher;
import io.handoff.handler.Timeouts;

/**
 * Runs the handler on one connection and guarantees the close: whatever the handler does (returns without closing,
 * throws, is interrupted at shutdown), the channel is closed and the counters balance. Reads through the
 * {@link Connection} are bounded by the engine's {@link Timeouts}. Shared by every blocking engine.
 */
final class ConnectionRunner {
    private static final Logger log = LoggerFactory.getLogger(ConnectionRunner.class);
    /** At a forced stop, connections named one per line; beyond that only counted. */
    private static final int FORCED_LOG_LINES = 20;

    private volatile Handler handler;
    private final TimeoutWatcher timeouts;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    /** The handler threads running now, and the channel each serves. */
    private final Map<Thread, SocketChannel> running = new ConcurrentHashMap<>();
    private volatile boolean draining;
    private volatile Runnable finished = () -> { };

    ConnectionRunner(Handler handler, Timeouts timeouts, String name) {
        this.handler = handler;
        this.timeouts = new TimeoutWatcher(timeouts, name);
    }

    /**
     * Counts a connection as open from the moment an engine takes it, before its thread runs: a drain that begins
     * right after {@code serve} returns must wait for it, not find zero open and let the process exit under it.
     * Every call is followed by exactly one {@link #run} or {@link #rejected}.
     */
    void admitted() { open.incrementAndGet(); }

    /** The engine could not start a thread for an admitted connection: close it and balance the count. */
    void rejected(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
        open.decrementAndGet();
        finished.run();
    }

    void run(SocketChannel channel) {
        Thread self = Thread.currentThread();
        running.put(self, channel);
        Connection connection = null;
        try {
            // No setsockopt here: TCP connections inherit TCP_NODELAY from the listener (Sockets.setNoDelay).
            connection = new Connection(channel, this::isDraining, timeouts);
            Handler h = handler;
            h.handle(connection);
        } catch (ClosedByInterruptException e) {
            log.debug("connection closed at shutdown {}", connection);
        } catch (IOException e) {
            // Clients reset and vanish all the time, and an idle one times out; that is not the server's error.
            log.debug("connection ended with {} {}", e.toString(), connection);
        } catch (Exception | LinkageError | StackOverflowError e) {
            log.warn("handler failed {} error={}", connection, e.toString(), e);
        } finally {
            try {
                if (connection != null) connection.close();
                else channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
            open.decrementAndGet();
            served.incrementAndGet();
            running.remove(self);
            finished.run();
        }
    }

    int open() { return open.get(); }

    /** See {@link Engine#whenFinished}. */
    void whenFinished(Runnable listener) { finished = listener; }

    void handler(Handler h) { handler = h; }

    boolean isDraining() { return draining; }

    /** From now on handlers see {@link Connection#isDraining()}. */
    void startDraining() { draining = true; }

    long served() { return served.get(); }

    /**
     * At the graceful deadline: interrupts every handler still running, so blocked channel I/O and sleeps fail, and
     * closes its connection, so the client is let go even when the handler ignores the interrupt.
     */
    void interruptAll() {
        int n = 0;
        for (Map.Entry<Thread, SocketChannel> e : running.entrySet()) {
            SocketChannel channel = e.getValue();
            if (n++ < FORCED_LOG_LINES) {
                log.warn("closing connection still open at the graceful deadline client={} thread={}",
                        remote(channel), e.getKey().getName());
            }
            e.getKey().interrupt();
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
        if (n > FORCED_LOG_LINES) log.warn("closed at the graceful deadline connections={}", n);
    }

    /** Stops the timeout thread; the engine is done with connections. */
    void close() { timeouts.close(); }

    private static Object remote(SocketChannel channel) {
        try {
            return channel.getRemoteAddress();
        } catch (IOException e) {
            return "closed";
        }
    }
}

package io.handoff.engine;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.handler.Connection;
import io.handoff.handler.Handler;

/**
 * Runs the handler on one connection and guarantees the close: whatever the handler does (returns, throws, is
 * interrupted at shutdown), the channel is closed and the counters balance. Shared by every engine.
 */
final class ConnectionRunner {
    private static final Logger log = LoggerFactory.getLogger(ConnectionRunner.class);

    private volatile Handler handler;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    ConnectionRunner(Handler handler) { this.handler = handler; }

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
    }

    void run(SocketChannel channel) {
        Thread self = Thread.currentThread();
        threads.add(self);
        Connection connection = null;
        try {
            // No setsockopt here: TCP connections inherit TCP_NODELAY from the listener (Sockets.setNoDelay).
            connection = new Connection(channel, this::isDraining);
            Handler h = handler;
            h.handle(connection);
        } catch (ClosedByInterruptException e) {
            log.debug("connection closed at shutdown {}", connection);
        } catch (IOException e) {
            // Clients reset and vanish all the time; that is not the server's error.
            log.debug("connection ended with {} {}", e.toString(), connection);
        } catch (Exception | LinkageError | StackOverflowError e) {
            log.warn("handler failed {} error={}", connection, e.toString(), e);
        } finally {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
            open.decrementAndGet();
            served.incrementAndGet();
            threads.remove(self);
        }
    }

    int open() { return open.get(); }

    void handler(Handler h) { handler = h; }

    boolean isDraining() { return draining; }

    /** From now on handlers see {@link Connection#isDraining()}. */
    void startDraining() { draining = true; }

    long served() { return served.get(); }

    /** Interrupts every handler still running: blocked channel I/O then fails and the connection closes. */
    void interruptAll() { threads.forEach(Thread::interrupt); }
}

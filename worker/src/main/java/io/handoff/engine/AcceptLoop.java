package io.handoff.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.unix.Sockets;

/**
 * The blocking accept loop of a process that accepts on its listeners itself and feeds an engine: the in-process
 * models (one thread per listener in the supervisor) and a worker under {@code --dispatch shared} (one thread per
 * shared listening socket). Per connection: a slot in the engine, room under the {@link AcceptGate}, accept(2), then
 * the engine; a failed accept backs off; a client that left before its first byte is closed here, without a thread.
 *
 * <p>One instance serves every listener of its process, each {@link #run} on its own platform thread (a virtual
 * thread accepting on a blocking channel makes the JDK set O_NONBLOCK on the socket, and a shared socket's flags
 * belong to every process holding it).
 */
public final class AcceptLoop {
    private static final Logger log = LoggerFactory.getLogger(AcceptLoop.class);

    private final Engine engine;
    private final AcceptGate gate;
    private final BooleanSupplier stopping;
    /** Connections closed at accept because the client left before sending anything (a connect flood). */
    private final LongAdder goneBeforeData = new LongAdder();

    /**
     * @param gate     shared by every listener's loop: the limit is the process's, not each listener's
     * @param stopping read after every connection; once true, the loop takes what the kernel already queued on its
     *                 listener (see {@link #takeQueued}) and returns. Pass {@code () -> false} where the listening
     *                 socket lives on in other processes and the loop ends by closing this process's channel: taking
     *                 the queue would set O_NONBLOCK on a socket others block on, and they serve that queue anyway.
     */
    public AcceptLoop(Engine engine, AcceptGate gate, BooleanSupplier stopping) {
        this.engine = engine;
        this.gate = gate;
        this.stopping = stopping;
    }

    /**
     * Accepts on {@code listener} until it is closed or shut down, the thread is interrupted, or the stop. The
     * connections it accepted are with the engine when this returns.
     *
     * @param name     the listener as the log lines show it
     * @param deferred connections arrive with their first bytes (TCP_DEFER_ACCEPT), so one that has none is gone
     */
    public void run(ServerSocketChannel listener, String name, boolean deferred) {
        while (listener.isOpen()) {
            try {
                engine.awaitSlot();
                if (!gate.acquire(listener::isOpen)) {
                    engine.releaseSlot();
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                unreserve();
                return;
            } catch (IOException e) {
                unreserve();
                if (closedOrShutDown(listener, name)) return;
                // EMFILE and the like: the client waits in the backlog (where another worker may take it).
                if (!backOff(name, e)) return;
                continue;
            }
            gate.accepted();
            // The stop's own wake-up connect is one of these: the stop check below must still follow it.
            if (deferred && Sockets.closeIfGoneWithoutData(ch)) {
                goneBeforeData.increment();
                unreserve();
            } else if (!handOver(ch, name)) {
                return;
            }
            if (stopping.getAsBoolean()) {
                takeQueued(listener, name);
                return;
            }
        }
    }

    /** Connections closed at accept because their client had left without a byte. */
    public long goneBeforeData() { return goneBeforeData.sum(); }

    /** Gives back the engine slot and the gate's reservation of a connection that did not reach the engine. */
    private void unreserve() {
        engine.releaseSlot();
        gate.release();
    }

    /** Returns false when interrupted while backing off after a failure. */
    private boolean handOver(SocketChannel ch, String name) {
        try {
            engine.serve(ch); // the engine owns and closes it from here
            return true;
        } catch (RuntimeException | OutOfMemoryError e) {
            // No thread for it (out of memory): the engine closed it. Keep serving the ones we have.
            return backOff(name, e);
        } finally {
            gate.release(); // the engine counts it as open now
        }
    }

    private boolean backOff(String name, Throwable e) {
        try {
            gate.acceptFailed(name, e);
            return true;
        } catch (InterruptedException ie) {
            return false;
        }
    }

    private static boolean closedOrShutDown(ServerSocketChannel listener, String name) {
        // Polled before isOpen is read: a channel closed meanwhile polls as invalid, not shut down.
        boolean shutDown = Sockets.isShutDown(listener);
        if (!shutDown && listener.isOpen()) return false;
        // A shared socket the supervisor shut down for every worker at once at its stop, or a channel closed here.
        log.debug("listener shut down {}", name);
        return true;
    }

    /**
     * At stop: takes every connection the kernel already completed and queued on the listener, so that closing it
     * resets none of them (a client there has sent its request and expects an answer).
     */
    private void takeQueued(ServerSocketChannel listener, String name) {
        try {
            listener.configureBlocking(false);
            for (SocketChannel ch; (ch = listener.accept()) != null; ) {
                ch.configureBlocking(true);
                engine.awaitSlot();
                engine.serve(ch);
            }
        } catch (IOException | InterruptedException e) {
            log.debug("stopped taking queued connections on {}: {}", name, e.toString());
        }
    }

    /**
     * A throwaway connect that makes a loop blocked in accept() on {@code listener} return, so it sees the stop. A
     * loop not blocked in accept (waiting for a slot, say) sees the stop flag on its own.
     */
    public static void wake(ServerSocketChannel listener) {
        try {
            SocketAddress local = listener.getLocalAddress();
            if (local instanceof InetSocketAddress inet && inet.getAddress().isAnyLocalAddress()) {
                local = new InetSocketAddress(InetAddress.getLoopbackAddress(), inet.getPort());
            }
            // Non-blocking: with the backlog shrunk the SYN may be dropped, and a blocking connect would wait for
            // retries; a loop blocked in accept() has an empty queue, so the handshake completes at once.
            try (SocketChannel ch = SocketChannel.open()) {
                ch.configureBlocking(false);
                ch.connect(local);
            }
        } catch (IOException | RuntimeException e) {
            // not blocked in accept, or already closed: the flag is enough
        }
    }
}

package io.handoff.supervisor;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.control.CommandRegistry.CommandException;
import io.handoff.control.Json;
import io.handoff.engine.AcceptGate;
import io.handoff.engine.Engine;
import io.handoff.handler.Handlers;
import io.handoff.listen.Listener;
import io.handoff.unix.Sockets;

/**
 * The threads, virtual and events models: one acceptor thread per listener feeds an engine in this process (the
 * event-loop engine deals the connections round-robin to its selector threads). Reload loads the handler afresh (a
 * new class loader, so a changed jar is picked up) for connections accepted from then on.
 */
final class InProcessModel implements ServingModel {
    private static final Logger log = LoggerFactory.getLogger(InProcessModel.class);

    private final ServeConfig config;
    private final List<Listener> listeners;
    private final Engine engine;
    private final List<Thread> acceptors = new ArrayList<>();
    /** Shared by every listener's acceptor: --max-connections bounds the process, not each listener. */
    private final AcceptGate gate;
    private volatile boolean stopping;
    /** Connections closed at accept because the client left before sending anything (a connect flood). */
    private final java.util.concurrent.atomic.LongAdder goneBeforeRequest = new java.util.concurrent.atomic.LongAdder();

    InProcessModel(ServeConfig config, List<Listener> listeners, Engine engine) {
        this.config = config;
        this.listeners = listeners;
        this.engine = engine;
        this.gate = new AcceptGate(config.maxConnections(), engine::open, "max=" + config.maxConnections());
    }

    @Override
    public void start() {
        for (Listener l : listeners) {
            acceptors.add(Thread.ofPlatform().name("accept-" + l.describe()).start(() -> acceptLoop(l)));
        }
    }

    @Override
    public boolean isReady() { return !acceptors.isEmpty(); }

    private void acceptLoop(Listener listener) {
        while (listener.channel().isOpen()) {
            try {
                engine.awaitSlot();
                if (!gate.acquire(listener.channel()::isOpen)) {
                    engine.releaseSlot();
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel ch;
            try {
                ch = listener.channel().accept();
            } catch (ClosedChannelException e) {
                engine.releaseSlot();
                gate.release();
                return;
            } catch (IOException e) {
                engine.releaseSlot();
                gate.release();
                if (!listener.channel().isOpen()) return;
                try {
                    gate.acceptFailed(listener.describe(), e);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            gate.accepted();
            // A client gone before its first byte is closed here, without a thread. (The stop's own wake-up connect
            // is one of them: the check below must still follow it.)
            if (listener.deferred() && Sockets.closeIfGoneWithoutData(ch)) {
                goneBeforeRequest.increment();
                engine.releaseSlot();
                gate.release();
            } else {
                try {
                    engine.serve(ch);
                } catch (RuntimeException | OutOfMemoryError e) {
                    // No thread for it (out of memory): the engine closed it. Keep serving the ones we have.
                    try {
                        gate.acceptFailed(listener.describe(), e);
                    } catch (InterruptedException ie) {
                        return;
                    }
                } finally {
                    gate.release(); // the engine counts it as open now
                }
            }
            if (stopping) {
                takeQueued(listener);
                return;
            }
        }
    }

    /**
     * At stop: takes every connection the kernel already completed and queued on the listener, so that closing it
     * resets none of them (a client there has sent its request and expects an answer).
     */
    private void takeQueued(Listener listener) {
        try {
            listener.channel().configureBlocking(false);
            for (SocketChannel ch; (ch = listener.channel().accept()) != null; ) {
                ch.configureBlocking(true);
                engine.awaitSlot();
                engine.serve(ch);
            }
        } catch (IOException | InterruptedException e) {
            log.debug("stopped taking queued connections on {}: {}", listener.describe(), e.toString());
        }
    }

    /** A throwaway connect that makes an acceptor blocked in accept() return, so it sees the stop. */
    private static void wake(Listener listener) {
        try {
            java.net.SocketAddress local = listener.channel().getLocalAddress();
            if (local instanceof java.net.InetSocketAddress inet && inet.getAddress().isAnyLocalAddress()) {
                local = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), inet.getPort());
            }
            // Non-blocking: with the backlog shrunk the SYN may be dropped, and a blocking connect would wait for
            // retries; an acceptor blocked in accept() has an empty queue, so the handshake completes at once.
            try (SocketChannel ch = SocketChannel.open()) {
                ch.configureBlocking(false);
                ch.connect(local);
            }
        } catch (IOException | RuntimeException e) {
            // the acceptor is not blocked in accept (e.g. waiting for a slot); it sees the flag on its own
        }
    }

    @Override
    public void reload() throws CommandException {
        try {
            engine.handler(Handlers.load(config.handler(), config.handlerClasspath(), config.root(),
                    config.httpLimits()));
            log.info("reload: handler {} loaded afresh; new connections use it", config.handler());
        } catch (Handlers.HandlerLoadException e) {
            throw new CommandException("handler not reloaded, the old one keeps serving: " + e.getMessage());
        }
    }

    @Override
    public Map<String, Object> counters() {
        return Json.object("open", engine.open(), "served", engine.served(), "max_connections", gate.max(),
                "gone_before_request", goneBeforeRequest.sum());
    }

    @Override
    public boolean stop(Duration grace) {
        // Drain first, then close: closing a listener resets every connection still queued on it.
        stopping = true;
        listeners.forEach(l -> io.handoff.unix.Sockets.stopAdmitting(l.channel()));
        engine.startDraining();
        listeners.forEach(InProcessModel::wake);
        for (Thread t : acceptors) {
            try {
                t.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        listeners.forEach(Listener::close);
        for (Thread t : acceptors) t.interrupt();
        try {
            return engine.shutdown(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

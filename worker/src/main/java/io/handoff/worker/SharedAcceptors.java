package io.handoff.worker;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.AcceptGate;
import io.handoff.engine.Engine;
import io.handoff.protocol.Message.Family;
import io.handoff.unix.Fd;
import io.handoff.unix.Sockets;

/**
 * The worker's half of {@code --dispatch shared}: one platform thread per listening socket, blocked in accept(2),
 * feeding the engine. Every worker's acceptors wait on the same sockets. Linux queues blocked accepts as exclusive
 * waiters, in arrival order, so each connection wakes exactly one acceptor and they take turns across workers; a
 * poll or epoll loop per process would wake every worker for every connection instead.
 *
 * <p>Platform threads on purpose: a virtual thread accepting on a blocking-mode channel makes the JDK set
 * O_NONBLOCK on the socket, and that flag belongs to the open file description all the processes share.
 */
final class SharedAcceptors {
    private static final Logger log = LoggerFactory.getLogger(SharedAcceptors.class);
    private static final long JOIN_MILLIS = 2000;

    private final Engine engine;
    /** Shared by this worker's acceptors: at --worker-connections they stop accepting and other workers take over. */
    private final AcceptGate gate;
    private final List<ServerSocketChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private SharedAcceptors(Engine engine, int maxConnections) {
        this.engine = engine;
        this.gate = new AcceptGate(maxConnections, engine::open, "worker_connections=" + maxConnections);
    }

    /**
     * Adopts every listening fd and starts accepting. Takes ownership of {@code fds}: each becomes a channel this
     * object closes, and if one cannot be adopted, every other one is closed before the exception is thrown.
     */
    static SharedAcceptors start(List<Fd> fds, List<Family> families, Engine engine, int maxConnections)
            throws IOException {
        SharedAcceptors a = new SharedAcceptors(engine, maxConnections);
        try {
            for (int i = 0; i < fds.size(); i++) a.channels.add(Sockets.adoptListener(fds.get(i), families.get(i).jdk()));
        } catch (IOException | RuntimeException e) {
            fds.forEach(Fd::close); // the ones not adopted yet; adopted ones were released to their channel
            a.closeChannels();
            throw e;
        }
        for (ServerSocketChannel ch : a.channels) {
            boolean deferred = Sockets.defersAccept(ch);
            a.threads.add(Thread.ofPlatform().daemon().name("accept-" + describe(ch))
                    .start(() -> a.acceptLoop(ch, deferred)));
        }
        return a;
    }

    int count() { return channels.size(); }

    /** {@code deferred}: connections arrive with their first bytes, so one that has none and is gone is dropped. */
    private void acceptLoop(ServerSocketChannel listener, boolean deferred) {
        while (listener.isOpen()) {
            try {
                if (!gate.acquire(listener::isOpen)) return;
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                gate.release();
                return; // close() below: this worker stops accepting
            } catch (IOException e) {
                gate.release();
                // Polled before isOpen is read: a channel closed meanwhile (by Stop) polls as invalid, not shut down.
                boolean shutDown = Sockets.isShutDown(listener);
                if (shutDown || !listener.isOpen()) {
                    // The supervisor is stopping and shut the socket down for every worker at once; Stop follows
                    // (or has already closed this channel).
                    log.debug("listener shut down {}", describe(listener));
                    return;
                }
                // EMFILE and the like: the connection waits in the backlog, where another worker may take it.
                try {
                    gate.acceptFailed(describe(listener), e);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            gate.accepted();
            if (deferred && Sockets.closeIfGoneWithoutData(ch)) {
                gate.release();
                continue;
            }
            try {
                engine.serve(ch); // the engine owns and closes it from here
            } catch (RuntimeException | OutOfMemoryError e) {
                log.warn("cannot serve an accepted connection on {} error={}", describe(listener), e.toString());
            } finally {
                gate.release();
            }
        }
    }

    /**
     * Stops accepting: closes this worker's copies of the listening sockets (the sockets stay open in the supervisor
     * and the other workers, so their backlog is not lost) and waits until every acceptor has handed what it accepted
     * to the engine, so a drain that follows sees those connections.
     */
    void close() {
        closeChannels();
        for (Thread t : threads) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void closeChannels() {
        for (ServerSocketChannel ch : channels) {
            try {
                ch.close(); // wakes an acceptor blocked in accept(2) in this process only
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    private static String describe(ServerSocketChannel ch) {
        try {
            return String.valueOf(ch.getLocalAddress());
        } catch (IOException e) {
            return "listener";
        }
    }
}

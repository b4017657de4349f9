package io.handoff.worker;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

import io.handoff.engine.AcceptGate;
import io.handoff.engine.AcceptLoop;
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
    private static final long JOIN_MILLIS = 2000;

    /**
     * Shared by this worker's acceptors, gated at --worker-connections (where other workers take over). No stop
     * check: the worker stops by closing its copies of the sockets, whose backlog the others go on serving.
     */
    private final AcceptLoop loop;
    private final List<ServerSocketChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private SharedAcceptors(Engine engine, int maxConnections) {
        AcceptGate gate = new AcceptGate(maxConnections, engine::open, "worker_connections=" + maxConnections);
        this.loop = new AcceptLoop(engine, gate, () -> false);
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
                    .start(() -> a.loop.run(ch, describe(ch), deferred)));
        }
        return a;
    }

    int count() { return channels.size(); }

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

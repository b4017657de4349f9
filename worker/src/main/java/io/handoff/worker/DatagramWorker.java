package io.handoff.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.datagram.DatagramHandler;
import io.handoff.datagram.DatagramHandlers;
import io.handoff.handler.Handler;
import io.handoff.handler.Handlers;
import io.handoff.datagram.DatagramService;
import io.handoff.protocol.Message;
import io.handoff.protocol.Message.DatagramStats;
import io.handoff.protocol.Message.Listeners;
import io.handoff.unix.DatagramPort;
import io.handoff.unix.Fd;

/**
 * The datagram side of a fork worker: serves the datagram sockets the supervisor sent (one shared socket per
 * address, or this worker's own SO_REUSEPORT socket) on platform receive threads that call the handler inline, and
 * reports its counters with the heartbeats. Owns the fds it was sent from {@link #serve} on; {@link #stop} drains
 * and closes them.
 */
final class DatagramWorker {
    private static final Logger log = LoggerFactory.getLogger(DatagramWorker.class);

    private final DatagramHandler handler;
    private final int maxBytes;
    /** Set once by the link reader; read by the heartbeat and stop threads. */
    private volatile DatagramService service;

    DatagramWorker(DatagramHandler handler, int maxBytes) {
        this.handler = handler;
        this.maxBytes = maxBytes;
    }

    /**
     * The connection handler: {@code name}'s, or, for a user class that serves datagrams only, one no connection
     * ever reaches (the supervisor binds no stream listener for it).
     */
    static Handler streamHandler(String name, java.nio.file.Path classpath, java.nio.file.Path root,
            io.handoff.handler.HttpLimits limits) throws Handlers.HandlerLoadException {
        if (!DatagramHandlers.kinds(name, classpath).contains(DatagramHandlers.Kind.STREAM)) {
            return connection -> {
                throw new IllegalStateException("--handler " + name + " serves datagrams only");
            };
        }
        return Handlers.load(name, classpath, root, limits);
    }

    /**
     * The datagram side for {@code --max-datagram-bytes maxBytes} (0: the supervisor sends no datagram sockets, and
     * no datagram handler is made).
     */
    static DatagramWorker forArgs(int maxBytes, String name, java.nio.file.Path classpath, Handler streamForm)
            throws Handlers.HandlerLoadException {
        if (maxBytes <= 0) return new DatagramWorker(null, 0);
        return new DatagramWorker(DatagramHandlers.load(name, classpath, streamForm), maxBytes);
    }

    /** Starts receiving on the sockets of {@code l}. False (fds closed) when they came twice or the handler is absent. */
    boolean serve(Listeners l) {
        if (service != null || handler == null) {
            log.warn("datagram sockets not expected here{}; closing fds={}", service != null ? " (sent twice)" : "",
                    l.fds().size());
            l.fds().forEach(Fd::close);
            return false;
        }
        List<DatagramService.Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < l.fds().size(); i++) {
                sockets.add(new DatagramService.Socket(DatagramPort.adopt(l.fds().get(i), l.families().get(i).jdk()),
                        "dgram" + i));
            }
        } catch (java.io.IOException e) {
            log.error("cannot serve the datagram sockets: {}", e.getMessage());
            l.fds().forEach(Fd::close);
            sockets.forEach(s -> s.port().close());
            return false;
        }
        // Receivers per socket: one per processor, each calling the handler inline; more would only contend.
        int receivers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        DatagramService s = new DatagramService(sockets, handler, DatagramService.Where.RECEIVER, receivers, 1, maxBytes);
        s.start();
        service = s;
        log.info("worker receiving datagrams sockets={} receivers={}", sockets.size(), receivers);
        return true;
    }

    /**
     * Every receive thread of a socket has been stuck in one handler call for longer than {@code nanos}: the worker
     * receives nothing more there, and should look hung to the supervisor.
     */
    boolean stuck(long nanos) {
        DatagramService s = service;
        return s != null && s.stuckLongerThan(nanos);
    }

    /** The counters for the supervisor, or null before any socket came. */
    Message stats() {
        DatagramService s = service;
        return s == null ? null : new DatagramStats(s.in(), s.out(), s.dropped(), s.failed(), s.undelivered());
    }

    /**
     * Serves what the sockets still hold (another worker takes the rest of a shared socket's queue), within
     * {@code grace}, then closes this worker's references. True when nothing was cut off.
     */
    boolean stop(Duration grace) {
        DatagramService s = service;
        if (s == null) return true;
        try {
            return s.stop(grace);
        } catch (InterruptedException e) {
            return false;
        } finally {
            s.close();
        }
    }
}

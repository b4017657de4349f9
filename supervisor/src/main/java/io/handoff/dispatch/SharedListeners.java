package io.handoff.dispatch;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.listen.Listener;
import io.handoff.process.WorkerProcess;
import io.handoff.protocol.Message.Family;
import io.handoff.protocol.Message.Listeners;
import io.handoff.protocol.Message.Refused;
import io.handoff.protocol.Message.Stop;
import io.handoff.protocol.MessageLink;
import io.handoff.unix.Fd;
import io.handoff.unix.Sockets;

/**
 * {@code --dispatch shared}, the gunicorn / nginx way: every worker is sent the listening sockets once, as soon as it
 * reports ready, and accepts on them itself; the supervisor accepts nothing and never holds a client connection.
 * Which worker gets a connection is up to the kernel (whichever acceptor waited longest), blind to how busy each
 * worker is.
 *
 * <p>Ownership: one duplicate fd per listener is made here and closed in {@link #stop}; sending puts a copy into the
 * worker, which owns its copies and closes them when it stops accepting. The supervisor's own listeners stay open, so
 * the sockets and their backlog outlive any worker: a replacement simply starts accepting where its predecessor left.
 */
public final class SharedListeners implements DispatchMode {
    private static final Logger log = LoggerFactory.getLogger(SharedListeners.class);

    private final List<Listener> listeners;
    private final List<Fd> fds = new ArrayList<>();
    private final List<Family> families = new ArrayList<>();
    private boolean stopped;

    public SharedListeners(List<Listener> listeners) throws IOException {
        this.listeners = listeners;
        try {
            for (Listener l : listeners) {
                families.add(Family.of(l.family()));
                fds.add(Sockets.duplicate(l.channel()));
            }
        } catch (IOException | RuntimeException e) {
            fds.forEach(Fd::close);
            throw e;
        }
    }

    /** Nothing to start: each worker starts accepting when {@link #share} gives it the sockets. */
    @Override
    public void start() {}

    /** {@code worker} reported ready: sends it the listening sockets, on which it starts accepting. */
    public void share(WorkerProcess worker) {
        MessageLink link = worker.link();
        if (stopped || !worker.isReady() || link == null) return;
        try {
            link.send(new Listeners(families, fds));
            log.info("listeners shared with {} count={}", worker, fds.size());
        } catch (IOException e) {
            // Its link is gone: the reader notices, the worker exits and a replacement gets the sockets instead.
            log.warn("cannot share listeners with {} error={}", worker, e.toString());
        }
    }

    /**
     * A hung worker's acceptor threads are platform threads and may still accept connections its stuck handlers will
     * never serve: telling it to stop (with no grace) makes its link reader close its copies before it is killed.
     * (Workers told to drain stop accepting by themselves.)
     */
    public void withdraw(WorkerProcess worker) {
        MessageLink link = worker.link();
        if (link == null) return;
        try {
            link.send(new Stop(0));
        } catch (IOException e) {
            log.debug("cannot tell {} to stop accepting: {}", worker, e.toString());
        }
    }

    /** Nothing is ever handed over in this mode, so nothing comes back; close defensively. */
    @Override
    public void reroute(Refused refused) {
        log.warn("worker returned {} connections, but none were handed over (--dispatch shared); closing them",
                refused.fds().size());
        refused.fds().forEach(Fd::close);
    }

    /**
     * Shuts the sockets down for every worker at once, before any worker is told to drain: from here new clients are
     * refused instead of queueing behind acceptors that are about to go (the workers' accepts fail, and they close
     * their copies on Stop). Then closes the supervisor's references. Connections the workers accepted are theirs to
     * finish; there is nothing to flush. A socket the service manager passed in is only closed, never shut down: it
     * is the manager's, and its backlog waits for our successor.
     */
    @Override
    public void stop(Duration flush) {
        if (stopped) return;
        stopped = true;
        for (Listener l : listeners) {
            if (!l.inherited() && l.channel().isOpen()) Sockets.shutdownListener(l.channel());
        }
        fds.forEach(Fd::close);
        listeners.forEach(Listener::close);
    }
}

package io.handoff.dispatch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.listen.DatagramListener;
import io.handoff.listen.Listener.ListenException;
import io.handoff.process.WorkerProcess;
import io.handoff.protocol.Message.Family;
import io.handoff.protocol.Message.Kind;
import io.handoff.protocol.Message.Listeners;
import io.handoff.protocol.MessageLink;
import io.handoff.unix.Fd;

/**
 * How fork workers get the datagram sockets, in every {@code --dispatch} mode: a datagram is not handed over one by
 * one, the worker receives on the socket itself. Sent once per worker, as soon as it reports ready, in a
 * {@link Listeners} message of datagram kind.
 *
 * <p>Shared (the default): every worker gets a copy of the one socket per address; the supervisor keeps its own,
 * so the socket and the datagrams queued in it outlive any worker (reload, scale, recycling and a crash lose
 * nothing queued; a datagram a dying worker had already taken is lost with it). Any worker may get any datagram.
 *
 * <p>Reuseport ({@code --datagram-sockets reuseport}, UDP only): each worker gets a socket of its own, bound by the
 * supervisor to the same address with SO_REUSEPORT, and the supervisor keeps no copy. The kernel hashes each
 * sender's address and port to one socket, so one client's datagrams stay on one worker while the group is
 * unchanged; but a socket's queue goes with its worker, and a worker joining or leaving moves some senders to
 * another. The first socket, bound at start, goes to the first worker: datagrams that arrived before it are served.
 */
public final class DatagramSockets {
    private static final Logger log = LoggerFactory.getLogger(DatagramSockets.class);

    private final List<DatagramListener> listeners;
    /** Reuseport: the socket bound at start, not yet given to a worker. Loop only. */
    private final List<DatagramListener> unclaimed = new ArrayList<>();
    private boolean stopped;

    public DatagramSockets(List<DatagramListener> listeners) {
        this.listeners = listeners;
        for (DatagramListener l : listeners) if (l.reusePort()) unclaimed.add(l);
    }

    public boolean any() { return !listeners.isEmpty(); }

    /** {@code worker} reported ready: sends it its datagram sockets. On the supervisor loop. */
    public void share(WorkerProcess worker) {
        MessageLink link = worker.link();
        if (stopped || listeners.isEmpty() || link == null) return;
        List<Fd> fds = new ArrayList<>();
        List<Family> families = new ArrayList<>();
        List<DatagramListener> given = new ArrayList<>();
        try {
            for (DatagramListener l : listeners) {
                families.add(Family.of(l.family()));
                if (!l.reusePort()) {
                    fds.add(l.duplicate());
                } else if (unclaimed.remove(l)) {
                    fds.add(l.duplicate());
                    given.add(l); // ours closes once the worker has its copy
                } else {
                    DatagramListener own = l.bindAnother();
                    fds.add(own.duplicate());
                    given.add(own);
                }
            }
            link.send(new Listeners(families, java.util.Collections.nCopies(fds.size(), Kind.DATAGRAM), fds));
            log.info("datagram sockets sent to {} count={}", worker, fds.size());
        } catch (IOException | ListenException | RuntimeException e) {
            // Its link is gone (it exits and is replaced) or a socket could not be bound: the worker serves
            // connections, and the log says what it lacks.
            log.warn("cannot send datagram sockets to {} error={}", worker, e.toString());
        } finally {
            fds.forEach(Fd::close); // sent: the worker has its own copies
            // Reuseport sockets belong to their worker alone: an unread socket in the group would take its share of
            // datagrams and never answer. The start socket keeps its listener object for describe() and close().
            for (DatagramListener g : given) g.port().close();
        }
    }

    /** Closes the supervisor's copies, once the workers are done with theirs (the sockets' queues go now). */
    public void stop() {
        if (stopped) return;
        stopped = true;
        listeners.forEach(DatagramListener::close);
    }
}

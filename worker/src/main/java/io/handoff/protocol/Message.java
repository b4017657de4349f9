package io.handoff.protocol;

import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.util.List;

import io.handoff.unix.Fd;
import io.handoff.unix.UnixLink;

/**
 * The handoff protocol between supervisor and worker. Every message is one frame; the three that carry fds
 * ({@link Handoff}, {@link Refused}, {@link Listeners}) say how many, and the fds ride on the frame's own bytes (SCM_RIGHTS), so a
 * reader matches fds to frames by count and order, never by how the kernel happened to split the stream.
 */
public sealed interface Message {

    /** Worker → supervisor: booted, handler loaded, ready for connections. */
    record Ready(int pid) implements Message {}

    /**
     * Supervisor → worker: client connections, one fd each, with their address family and the client's address as
     * accept(2) returned it (a raw {@code struct sockaddr_in} or {@code sockaddr_in6}; empty when unknown or for Unix
     * clients). Passing the address along spares the worker a getpeername(2) per connection.
     */
    record Handoff(long seq, List<Family> families, List<byte[]> peers, List<Fd> fds) implements Message {
        public Handoff {
            checkCounts(families, peers, fds);
            if (fds.size() > UnixLink.MAX_FDS) throw new IllegalArgumentException("at most 253 fds per handoff");
        }
    }

    private static void checkCounts(List<Family> families, List<byte[]> peers, List<Fd> fds) {
        if (families.size() != fds.size() || peers.size() != fds.size()) {
            throw new IllegalArgumentException("families, peers and fds differ in count");
        }
        for (byte[] p : peers) {
            if (p.length > MAX_PEER) throw new IllegalArgumentException("peer address of " + p.length + " bytes");
        }
    }

    /** The largest peer address carried: a {@code struct sockaddr_in6}. */
    int MAX_PEER = 28;

    /**
     * Worker → supervisor: every connection of handoff {@code seq} is now served by the worker, which now holds
     * {@code open} connections in all. The count rides on the acknowledgement so the supervisor's view of a worker's
     * load is never lower than the truth: connections leave "in flight" and join "open" in the same message.
     */
    record Accepted(long seq, int count, int open) implements Message {}

    /** Worker → supervisor: the worker will not serve these (it is stopping); the fds come back to be re-routed. */
    record Refused(long seq, List<Family> families, List<byte[]> peers, List<Fd> fds) implements Message {
        public Refused {
            checkCounts(families, peers, fds);
        }
    }

    /**
     * Supervisor → worker, right after {@link Ready}: the datagram sockets it serves (every dispatch mode), and with
     * {@code --dispatch shared} in a message of their own, the listening sockets
     * themselves. The worker accepts on them and the supervisor accepts nothing; its own copies only keep the
     * sockets alive for the next worker. The worker owns the fds it received and closes them when it stops
     * accepting (on {@link Stop}). Nothing is acknowledged: a listening socket is not a connection, and a worker that
     * dies takes its copies with it while the kernel's backlog keeps waiting for the other workers.
     */
    record Listeners(List<Family> families, List<Kind> kinds, List<Fd> fds) implements Message {
        public Listeners {
            if (families.size() != fds.size() || kinds.size() != fds.size()) {
                throw new IllegalArgumentException("families, kinds and fds differ in count");
            }
        }

        /** Listening stream sockets only ({@code --dispatch shared}). */
        public Listeners(List<Family> families, List<Fd> fds) {
            this(families, java.util.Collections.nCopies(families.size(), Kind.STREAM), fds);
        }

        /** True when these are datagram sockets: a message carries one kind only. */
        public boolean datagram() { return !kinds.isEmpty() && kinds.get(0) == Kind.DATAGRAM; }
    }

    /**
     * Worker → supervisor, with its heartbeats when it serves datagram sockets: datagrams received, answers sent,
     * datagrams dropped (too large, or nobody free to take them), handler failures, answers not deliverable. Totals
     * since the worker started.
     */
    record DatagramStats(long in, long out, long dropped, long failed, long undelivered) implements Message {}

    /** What a socket in {@link Listeners} is: a listening stream socket, or a bound datagram socket. */
    enum Kind { STREAM, DATAGRAM }

    /** Worker → supervisor, periodically: liveness and load. */
    record Heartbeat(int open, long served) implements Message {}

    /**
     * Supervisor → worker: stop taking connections and finish the open ones within {@code graceMillis}. The worker
     * answers {@link Drained} and exits when the supervisor then closes its side of the link.
     */
    record Stop(long graceMillis) implements Message {}

    /**
     * Worker → supervisor: every connection is finished (or was cut at the deadline). From here the supervisor sends
     * nothing more and shuts its side of the link; what was already in flight comes back as {@link Refused}.
     */
    record Drained(boolean graceful, long served) implements Message {}

    /** Supervisor → worker: reopen the log file (after logrotate moved it). */
    record ReopenLogs() implements Message {}

    /** The address family of a handed-over socket; the receiver needs it to adopt the fd. */
    enum Family {
        INET(StandardProtocolFamily.INET), INET6(StandardProtocolFamily.INET6), UNIX(StandardProtocolFamily.UNIX);

        private final ProtocolFamily jdk;

        Family(ProtocolFamily jdk) { this.jdk = jdk; }

        public ProtocolFamily jdk() { return jdk; }

        public static Family of(ProtocolFamily family) {
            for (Family f : values()) if (f.jdk == family) return f;
            throw new IllegalArgumentException("unsupported family " + family);
        }
    }
}

package io.handoff.supervisor;

import java.util.List;

import io.handoff.datagram.DatagramHandler;
import io.handoff.listen.DatagramListener;

/**
 * The datagram side of a {@code serve}: the bound sockets, the handler the in-process models serve them with (null
 * in fork, where only workers run user code), and how fork workers get them.
 *
 * @param reusePort fork: one SO_REUSEPORT socket per worker (the kernel keeps one client's datagrams on one worker,
 *                  but a socket's queue goes with its worker) instead of one socket all workers share
 * @param maxBytes  the largest datagram served; larger ones are dropped whole and counted
 */
public record Datagrams(List<DatagramListener> listeners, DatagramHandler handler, boolean reusePort, int maxBytes) {
    /** The largest datagram served unless {@code --max-datagram-bytes} says otherwise: any UDP payload over IPv4 or IPv6. */
    public static final int DEFAULT_MAX_BYTES = 65_535;

    public static final Datagrams NONE = new Datagrams(List.of(), null, false, DEFAULT_MAX_BYTES);

    public Datagrams {
        listeners = List.copyOf(listeners);
    }

    public boolean any() { return !listeners.isEmpty(); }
}

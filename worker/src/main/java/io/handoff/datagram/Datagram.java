package io.handoff.datagram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * One received datagram, valid for the duration of {@link DatagramHandler#handle}: its payload may be a view of a
 * buffer the next datagram reuses, so keep a copy of what must outlive the call. {@link #send} may be used later and
 * from any thread.
 */
public interface Datagram {
    /** The payload, read-only, from position 0 to its length (0 for an empty datagram). */
    ByteBuffer payload();

    /**
     * The sender: an {@link InetSocketAddress}, a {@link java.net.UnixDomainSocketAddress} for a Unix client bound to
     * a path, or null for a Unix client that did not bind its socket (it cannot be answered).
     */
    SocketAddress sender();

    /** The sender's IP address as text ("127.0.0.1", "::1"), a Unix sender's path, or "local" when it has none. */
    default String senderName() {
        SocketAddress s = sender();
        if (s instanceof InetSocketAddress inet && inet.getAddress() != null) return inet.getAddress().getHostAddress();
        if (s instanceof java.net.UnixDomainSocketAddress u) return u.getPath().toString();
        return "local";
    }

    /**
     * Sends {@code answer}'s remaining bytes back to the sender, as one datagram. Returns false when it could not be
     * delivered and was dropped (the sender is unnamed or gone, or its queue is full): datagrams are not retried.
     */
    boolean reply(ByteBuffer answer) throws IOException;

    /** Sends one datagram from the same socket to {@code to} (same family as the socket); as {@link #reply}. */
    boolean send(ByteBuffer data, SocketAddress to) throws IOException;
}

package io.handoff.handler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A client connection as an event loop serves it, given to an {@link EventSession}; used only from the session's
 * callbacks, on the loop thread.
 *
 * <p>Writes never wait. What the socket does not take at once is kept, in order, and sent as the socket drains;
 * while anything is kept the connection reads nothing more, so a client that sends faster than it reads is slowed
 * down by its own TCP window instead of filling this process's memory. Once the kept output is out the session's
 * {@link EventSession#drained} runs, then reading resumes.
 */
public interface EventConnection {
    /** The client's address; for a Unix-domain client usually an unnamed {@code UnixDomainSocketAddress}. */
    SocketAddress remoteAddress();

    /** True when the client came in over a Unix-domain socket. */
    default boolean isLocal() { return !(remoteAddress() instanceof InetSocketAddress); }

    /** The client's IP address as text ("127.0.0.1", "0:0:0:0:0:0:0:1"), or "local" for a Unix-domain client. */
    default String clientName() { return Connection.clientName(remoteAddress()); }

    /**
     * True once the server is stopping or reloading. A protocol that serves several requests on one connection
     * should finish the one it has and close (HTTP: {@code Connection: close}); connections still open at the graceful
     * deadline are closed by force.
     */
    boolean isDraining();

    /**
     * Writes all of {@code src}'s remaining bytes, which are consumed: what the socket does not take now is copied
     * and sent later, before anything written after it.
     *
     * @return true when everything is out; false when some is kept, in which case {@link EventSession#drained}
     *         follows once it is out
     */
    boolean write(ByteBuffer src) throws IOException;

    /**
     * Sends up to {@code count} bytes of {@code file} from {@code position} straight from the page cache
     * (sendfile), but only when nothing written before is still kept.
     *
     * @return the bytes sent; fewer than {@code count} (possibly 0) means the socket is full and
     *         {@link EventSession#drained} follows, and the session must write nothing else before that, so the file's
     *         bytes keep their place in the stream. A file that ends before {@code position + count} also gives
     *         fewer bytes (0 at its end): a session that sees 0 should check the file's size.
     */
    long transfer(FileChannel file, long position, long count) throws IOException;

    /**
     * The first bytes of a request have arrived: from now until {@link #endRequest()} the whole request must arrive
     * within the read timeout, or {@link EventSession#timedOut} follows. A request in progress keeps its deadline.
     */
    void beginRequest();

    /** The request is complete: only the idle timeout applies until the next {@link #beginRequest()}. */
    void endRequest();

    /** Closes once everything written is out. Nothing more is read; idempotent. */
    void close();
}

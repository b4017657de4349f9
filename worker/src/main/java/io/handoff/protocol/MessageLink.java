package io.handoff.protocol;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.handoff.unix.Fd;
import io.handoff.unix.NativeException;
import io.handoff.unix.UnixLink;

/**
 * Protocol messages over a {@link UnixLink}. Sends may come from several threads (one frame at a time); receives
 * from one reader thread. Fds attached to a sent message stay owned by the caller.
 *
 * <p>Closing rule: only the reader thread (or the owner, when no reader runs) calls {@link #close()}; any other thread
 * that wants the link gone calls {@link #abort()}, which shuts the socket down so the reader sees end of stream and
 * closes it. Closing an fd under a blocked recvmsg would neither wake it nor stop the number from being reused by the
 * next accept, and a late send could then reach a client's socket. Sends and close share one lock, so no send can
 * use the fd number after it was closed.
 */
public final class MessageLink implements Closeable {
    private final UnixLink link;
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(Codec.MAX_FRAME);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(Codec.RECEIVE_BUFFER);
    private final Codec.Reader reader = new Codec.Reader();
    private final List<Fd> receivedFds = new ArrayList<>();
    private boolean sendClosed;
    private boolean closed;

    public MessageLink(UnixLink link) { this.link = link; }

    /** Sends one frame, blocking until it is all written. */
    public void send(Message message) throws IOException {
        synchronized (sendBuffer) {
            if (sendClosed || closed) throw new java.nio.channels.ClosedChannelException();
            sendBuffer.clear();
            List<Fd> fds = Codec.encode(message, sendBuffer);
            sendBuffer.flip();
            link.sendFully(sendBuffer, fds);
        }
    }

    /**
     * Builds the message under the send lock and sends it, blocking: counts it reads when built are never older
     * than those of a frame sent before it (a heartbeat read just before an acknowledgement must not overtake it).
     */
    public void send(java.util.function.Supplier<? extends Message> message) throws IOException {
        synchronized (sendBuffer) {
            send(message.get());
        }
    }

    /**
     * Sends one frame without blocking: returns false, having sent nothing, when the peer's buffer is full. If the
     * kernel took only part of the frame, the fds went with that part and the rest is written blocking (a small
     * remainder behind a frame that just fit).
     */
    public boolean trySend(Message message) throws IOException {
        synchronized (sendBuffer) {
            if (sendClosed || closed) return false;
            sendBuffer.clear();
            List<Fd> fds = Codec.encode(message, sendBuffer);
            sendBuffer.flip();
            try {
                link.send(sendBuffer, fds, true);
            } catch (NativeException e) {
                if (e.isWouldBlock()) return false;
                throw e;
            }
            while (sendBuffer.hasRemaining()) link.send(sendBuffer, List.of(), false);
            return true;
        }
    }

    /**
     * Blocks until at least one byte arrives, then appends every complete message to {@code out}. Returns false at
     * end of stream (the peer closed or died).
     */
    public boolean receive(List<Message> out) throws IOException {
        receiveBuffer.clear();
        receivedFds.clear();
        int n = link.receive(receiveBuffer, receivedFds);
        if (n == 0) {
            for (Fd fd : receivedFds) fd.close();
            return false;
        }
        receiveBuffer.flip();
        reader.feed(receiveBuffer, receivedFds, out);
        return true;
    }

    /**
     * Ends this side's sending (shutdown SHUT_WR) atomically with respect to {@link #send}/{@link #trySend}: after
     * this returns no frame can follow, and the peer reads end of stream once it has read everything before it.
     */
    public void closeForSending() {
        synchronized (sendBuffer) {
            if (sendClosed || closed) return;
            sendClosed = true;
            link.shutdownOutput();
        }
    }

    /** From any thread: no more sends, and the reader sees end of stream (and then closes the link). */
    public void abort() {
        synchronized (sendBuffer) {
            if (closed) return;
            sendClosed = true;
            link.shutdown();
        }
    }

    public boolean isOpen() {
        synchronized (sendBuffer) {
            return !closed;
        }
    }

    /** Releases the fd: the reader thread's last act, or the owner's when no reader runs. */
    @Override
    public void close() {
        synchronized (sendBuffer) {
            if (closed) return;
            closed = true;
            link.close();
        }
        reader.closeAll();
    }

    @Override
    public String toString() { return link.toString(); }
}

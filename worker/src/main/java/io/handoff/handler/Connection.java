package io.handoff.handler;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;

/**
 * One accepted client connection, in blocking mode. Handlers read with {@link #read} or the unbuffered streams over
 * it, which wait for input no longer than the server's timeouts allow; they may also use the channel directly
 * (ByteBuffers), but reads made on the channel itself have no timeout. All of them see the same bytes.
 */
public final class Connection implements Closeable {
    /** The read deadline once the watcher has shut the input: every read from then on times out. */
    private static final long EXPIRED = -1;
    /** The most one timed write hands the kernel: the client must take this much within --idle-timeout. */
    private static final int TIMED_WRITE_SLICE = 256 * 1024;
    /** What {@link #transferFrom} sends the blocking way when sendfile finds no room. */
    private static final int WAIT_PIECE = 16 * 1024;
    private static final VarHandle READ_DEADLINE;
    private static final VarHandle WRITE_DEADLINE;

    static {
        try {
            READ_DEADLINE = MethodHandles.lookup().findVarHandle(Connection.class, "readDeadline", long.class);
            WRITE_DEADLINE = MethodHandles.lookup().findVarHandle(Connection.class, "writeDeadline", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SocketChannel channel;
    private final SocketAddress remote;
    private final InputStream input;
    private final OutputStream output;
    private final java.util.function.BooleanSupplier draining;
    private final TimeoutWatcher timeouts;
    /** While a read waits: when it times out (watcher clock); 0 when no read waits; {@link #EXPIRED}. */
    private volatile long readDeadline;
    /** While a request is in progress: when it must be complete (watcher clock); else 0. */
    private volatile long requestDeadline;
    /** While a write waits for the client to take bytes: when it times out (watcher clock); 0; {@link #EXPIRED}. */
    private volatile long writeDeadline;

    public Connection(SocketChannel channel) { this(channel, () -> false); }

    /** @param draining tells the handler that the server is stopping or reloading (see {@link #isDraining()}) */
    public Connection(SocketChannel channel, java.util.function.BooleanSupplier draining) {
        this(channel, draining, null);
    }

    /**
     * @param timeouts enforces the idle and read timeouts on this connection's reads, or null for none; the
     *                 connection is watched from here until {@link #close()}
     */
    public Connection(SocketChannel channel, java.util.function.BooleanSupplier draining, TimeoutWatcher timeouts) {
        this.channel = channel;
        this.draining = draining;
        this.timeouts = timeouts != null && timeouts.enabled() ? timeouts : null;
        SocketAddress r;
        try {
            r = channel.getRemoteAddress();
        } catch (IOException e) {
            r = null;
        }
        this.remote = r;
        this.input = new ChannelInput(this);
        this.output = new ChannelOutput(this);
        if (this.timeouts != null) this.timeouts.watch(this);
    }

    public SocketChannel channel() { return channel; }

    /** The client's address; for a Unix-domain client usually an unnamed {@code UnixDomainSocketAddress}. */
    public SocketAddress remoteAddress() { return remote; }

    /** True when the client came in over a Unix-domain socket. */
    public boolean isLocal() { return !(remote instanceof InetSocketAddress); }

    /** The client's IP address as text ("127.0.0.1", "::1"), or "local" for a Unix-domain client. */
    public String clientName() { return clientName(remote); }

    /** What {@link #clientName()} says for a peer address; shared with the event-loop connections. */
    public static String clientName(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "local";
    }

    /**
     * True once this server is stopping or being replaced (reload, recycling). A handler that serves several requests
     * on one connection should finish the one it has and close (HTTP: answer with {@code Connection: close}), so the
     * client reconnects to a server that stays. Connections still open at the graceful deadline are interrupted.
     */
    public boolean isDraining() { return draining.getAsBoolean(); }

    public InputStream input() { return input; }

    public OutputStream output() { return output; }

    /**
     * Reads what has arrived, waiting for at least one byte (blocking mode), but no longer than the server's timeouts
     * allow: {@code --idle-timeout} for this read, and while a request is in progress ({@link #beginRequest()})
     * whatever is left of {@code --read-timeout}.
     *
     * @return the bytes read, or -1 at end of stream
     * @throws SocketTimeoutException when a timeout passed first; the connection's input is shut from then on (every
     *                                later read fails the same way), while its output can still carry an answer
     */
    public int read(ByteBuffer dst) throws IOException {
        TimeoutWatcher w = timeouts;
        if (w == null) return channel.read(dst);
        long now = w.clock();
        long request = requestDeadline;
        // Expired while a read returned data anyway: say which deadline it was.
        if (readDeadline == EXPIRED) throw timedOut(request != 0 && request <= now);
        if (request != 0 && request <= now) throw timedOut(true);
        long deadline = w.idleNanos() > 0 ? now + w.idleNanos() : 0;
        if (request != 0 && (deadline == 0 || request < deadline)) deadline = request;
        if (deadline == 0) return channel.read(dst);
        readDeadline = deadline;
        int n;
        try {
            n = channel.read(dst);
        } finally {
            // Fails only when the watcher expired this read meanwhile: then the field stays EXPIRED.
            READ_DEADLINE.compareAndSet(this, deadline, 0L);
        }
        if (n < 0 && readDeadline == EXPIRED) throw timedOut(deadline == request);
        return n;
    }

    /**
     * The first bytes of a request have arrived: from now until {@link #endRequest()} the whole request must arrive
     * within {@code --read-timeout}, however steadily its bytes trickle in. A request already in progress keeps its
     * deadline. Protocols without requests (echo) never call this and get only the idle timeout.
     */
    public void beginRequest() {
        TimeoutWatcher w = timeouts;
        if (w != null && w.readNanos() > 0 && requestDeadline == 0) requestDeadline = w.clock() + w.readNanos();
    }

    /** The request is complete (head and body): no request deadline until the next {@link #beginRequest()}. */
    public void endRequest() {
        if (requestDeadline != 0) requestDeadline = 0;
    }

    private SocketTimeoutException timedOut(boolean request) {
        return new SocketTimeoutException(request
                ? "request not complete within " + text(timeouts.timeouts().read()) + " (read timeout)"
                : "no bytes from the client for " + text(timeouts.timeouts().idle()) + " (idle timeout)");
    }

    private static String text(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /**
     * For the watcher: shuts the input when the waiting read is past its deadline, the whole socket when the waiting
     * write is.
     *
     * @return the next deadline to wake up for (watcher clock), or 0 for none
     */
    long expireIfDue(long now) {
        long write = expireWriteIfDue(now);
        long read = expireReadIfDue(now);
        return write == 0 ? read : read == 0 ? write : Math.min(read, write);
    }

    /** A write (a handler may write on one thread while it reads on another): shuts both ways past its deadline. */
    private long expireWriteIfDue(long now) {
        long d = writeDeadline;
        if (d <= 0) return 0;
        if (d > now) return d;
        if (WRITE_DEADLINE.compareAndSet(this, d, EXPIRED)) {
            try {
                // Both ways: the writer wakes with an error, and there is no answering a client that reads nothing.
                channel.shutdownOutput();
                channel.shutdownInput();
            } catch (IOException | RuntimeException e) {
                // Closed or reset meanwhile: the write has returned or is about to.
            }
        }
        return 0;
    }

    private long expireReadIfDue(long now) {
        long d = readDeadline;
        if (d > 0) {
            if (d > now) return d;
            if (READ_DEADLINE.compareAndSet(this, d, EXPIRED)) {
                try {
                    channel.shutdownInput();
                } catch (IOException | RuntimeException e) {
                    // Closed or reset meanwhile: the read has returned or is about to.
                }
            }
            return 0;
        }
        // Not reading right now; the request deadline will bound the next read, which may begin while we sleep.
        long r = requestDeadline;
        return r > now ? r : 0;
    }

    /**
     * Writes the whole buffer, however many writes the kernel needs, as long as the client keeps taking bytes: a
     * client that takes none for {@code --idle-timeout} (nginx's {@code send_timeout}) has the connection shut down
     * under the waiting write, which then fails with a {@link SocketTimeoutException}. Every write that makes
     * progress starts the wait afresh (on a platform thread a write blocks until done, hence the slices), so a slow
     * reader of a large body is not cut off.
     */
    public void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            long deadline = armWrite();
            if (deadline == 0) {
                channel.write(buffer);
                continue;
            }
            int limit = buffer.limit();
            buffer.limit(buffer.position() + Math.min(buffer.remaining(), TIMED_WRITE_SLICE));
            try {
                channel.write(buffer);
            } catch (IOException e) {
                throw writeFailed(e);
            } finally {
                buffer.limit(limit);
                disarmWrite(deadline);
            }
        }
    }

    /**
     * Sends part of a file, with {@link java.nio.channels.FileChannel#transferTo} (sendfile) while the socket takes
     * it, its waits bounded as {@link #writeFully}'s are; returns how many bytes went out (0 only at the end of the
     * file).
     */
    public long transferFrom(java.nio.channels.FileChannel file, long position, long count) throws IOException {
        long deadline = armWrite();
        long n;
        try {
            n = file.transferTo(position, deadline == 0 ? count : Math.min(count, TIMED_WRITE_SLICE), channel);
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            if (deadline != 0) disarmWrite(deadline);
        }
        if (n > 0 || count == 0) return n;
        // Under a virtual thread the socket is non-blocking, and transferTo does not wait for room: it returns 0 at
        // once, and calling it again would spin. A small piece through the blocking path waits (parks) for room.
        ByteBuffer piece = ByteBuffer.allocate((int) Math.min(count, WAIT_PIECE));
        int r = file.read(piece, position);
        if (r <= 0) return 0;
        writeFully(piece.flip());
        return r;
    }

    /** Starts the wait of a write: returns its deadline (watcher clock), or 0 when writes are not timed. */
    private long armWrite() throws SocketTimeoutException {
        TimeoutWatcher w = timeouts;
        if (w == null || w.idleNanos() <= 0) return 0;
        if (writeDeadline == EXPIRED) throw writeTimedOut();
        long deadline = w.clock() + w.idleNanos();
        writeDeadline = deadline;
        return deadline;
    }

    /** Fails only when the watcher expired the write meanwhile: then the field stays EXPIRED. */
    private void disarmWrite(long deadline) { WRITE_DEADLINE.compareAndSet(this, deadline, 0L); }

    private IOException writeFailed(IOException e) {
        return writeDeadline == EXPIRED ? writeTimedOut() : e;
    }

    private SocketTimeoutException writeTimedOut() {
        return new SocketTimeoutException("the client took no bytes for " + text(timeouts.timeouts().idle())
                + " (idle timeout)");
    }

    /** Closes the channel and stops watching its reads; idempotent. */
    @Override
    public void close() throws IOException {
        if (timeouts != null) timeouts.unwatch(this);
        channel.close();
    }

    @Override
    public String toString() { return "client=" + remote; }

    private static final class ChannelInput extends InputStream {
        private final Connection connection;

        ChannelInput(Connection connection) { this.connection = connection; }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            int n;
            do {
                n = connection.read(ByteBuffer.wrap(b, off, len));
            } while (n == 0);
            return n;
        }
    }

    private static final class ChannelOutput extends OutputStream {
        private final Connection connection;

        ChannelOutput(Connection connection) { this.connection = connection; }

        @Override
        public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            connection.writeFully(ByteBuffer.wrap(b, off, len));
        }
    }
}

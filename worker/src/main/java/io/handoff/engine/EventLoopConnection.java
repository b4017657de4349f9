package io.handoff.engine;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.handler.EventConnection;
import io.handoff.handler.EventSession;

/**
 * One connection's I/O state on its loop: reading, or writing out what the socket did not take (reads paused), or
 * closing once that is out. The session decides what to say; this decides when the socket is touched. Loop thread
 * only.
 */
final class EventLoopConnection implements EventConnection {
    private static final Logger log = LoggerFactory.getLogger(EventLoopConnection.class);

    private final EventLoop loop;
    private final SocketChannel channel;
    private final SocketAddress remote;
    private SelectionKey key;
    private int interest;
    private EventSession session;
    /** Output the socket did not take yet, in read mode; null when there is none (the usual case). */
    private ByteBuffer pending;
    /** The session is owed a {@link EventSession#drained} call once the socket takes output again. */
    private boolean waiting;
    private boolean inputEnded;
    private boolean closing;
    private boolean closed;
    /** While waiting for input: when it times out (the loop's clock); 0 otherwise. */
    private long deadline;
    /** While a request is in progress: when it must be complete; 0 otherwise. */
    private long requestDeadline;

    EventLoopConnection(EventLoop loop, SocketChannel channel) {
        this.loop = loop;
        this.channel = channel;
        SocketAddress r;
        try {
            r = channel.getRemoteAddress();
        } catch (IOException e) {
            r = null;
        }
        this.remote = r;
    }

    /** Lets the handler open its session; registers with the selector only if the connection outlives that. */
    void open(Selector selector) {
        try {
            session = loop.engine().handler().open(this);
            // A greeter (hello) has written and closed already: no need to ever enter the selector.
            if (closing && pending == null && !waiting) {
                closeNow();
                return;
            }
            if (closed) return;
            key = channel.register(selector, 0, this);
            interest = 0;
            settle();
        } catch (Exception | LinkageError | StackOverflowError e) {
            failed(e);
        }
    }

    /** The selector says the socket is ready for what we asked (reading or writing, never both). */
    void ready(int ops) {
        try {
            if ((ops & SelectionKey.OP_WRITE) != 0) {
                writable();
            } else if ((ops & SelectionKey.OP_READ) != 0) {
                readable();
            }
        } catch (Exception | LinkageError | StackOverflowError e) {
            failed(e);
        }
    }

    /**
     * Waited too long: for input, the session answers or not, then the connection closes; for a client that took
     * none of its output, it closes at once (there is no answering a client that does not read).
     */
    void timedOut() {
        if (closed) return;
        if (pending != null || waiting) {
            log.debug("connection timed out writing client={}", remote);
            closeNow();
            return;
        }
        try {
            log.debug("connection timed out {} client={}", requestDeadline != 0 ? "mid-request" : "idle", remote);
            deadline = 0;
            session.timedOut(this);
            // Whatever the session did, no more waiting for this client.
            close();
            settle();
        } catch (Exception | LinkageError | StackOverflowError e) {
            failed(e);
        }
    }

    long deadline() { return deadline; }

    private void readable() throws IOException {
        ByteBuffer buf = loop.input;
        buf.clear();
        int n = channel.read(buf);
        if (n < 0) {
            inputEnded = true;
            session.endOfInput(this);
        } else if (n > 0) {
            buf.flip();
            session.read(this, buf);
        }
        settle();
    }

    private void writable() throws IOException {
        if (pending != null) {
            send(pending);
            if (pending.hasRemaining()) {
                deadline = loop.writeDeadline(); // it took some: the wait starts afresh
                return;
            }
            loop.giveBack(pending);
            pending = null;
        }
        if (closing) {
            closeNow();
            return;
        }
        if (waiting) {
            waiting = false;
            session.drained(this);
        }
        settle();
    }

    /** After every callback: what to wait for next follows from the state the session left. */
    private void settle() throws IOException {
        if (closed) return;
        if (pending != null || waiting) {
            // Back-pressure: no reading until the output is out, so the client's own window slows it down.
            interest(SelectionKey.OP_WRITE);
            deadline = loop.writeDeadline();
        } else if (closing) {
            closeNow();
        } else {
            interest(inputEnded ? 0 : SelectionKey.OP_READ);
            deadline = inputEnded ? 0 : loop.readDeadline(requestDeadline);
        }
    }

    private void interest(int ops) {
        if (ops != interest) {
            key.interestOps(ops);
            interest = ops;
        }
    }

    @Override
    public SocketAddress remoteAddress() { return remote; }

    @Override
    public boolean isDraining() { return loop.engine().isDraining(); }

    @Override
    public boolean write(ByteBuffer src) throws IOException {
        if (closing || closed) throw new IllegalStateException("write after close");
        if (pending == null && !waiting) {
            send(src);
            if (!src.hasRemaining()) return true;
        }
        keep(src);
        waiting = true;
        return false;
    }

    @Override
    public long transfer(FileChannel file, long position, long count) throws IOException {
        if (closing || closed) throw new IllegalStateException("transfer after close");
        if (pending != null) {
            waiting = true;
            return 0;
        }
        long n = file.transferTo(position, count, channel);
        if (n < count) waiting = true;
        return n;
    }

    @Override
    public void beginRequest() {
        if (requestDeadline == 0 && loop.readNanos > 0) requestDeadline = loop.now() + loop.readNanos;
    }

    @Override
    public void endRequest() { requestDeadline = 0; }

    @Override
    public void close() { closing = true; }

    /** Writes what the socket takes now; direct buffers as they are, heap ones through the loop's staging buffer. */
    private void send(ByteBuffer src) throws IOException {
        if (src.isDirect()) {
            while (src.hasRemaining() && channel.write(src) > 0) {
                // the socket took some; try the rest
            }
            return;
        }
        ByteBuffer staging = loop.staging;
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), staging.capacity());
            staging.clear().put(0, src, src.position(), n).limit(n);
            int written = channel.write(staging);
            src.position(src.position() + written);
            if (written < n) return;
        }
    }

    /** Keeps what the socket did not take, after whatever is kept already. */
    private void keep(ByteBuffer src) {
        int more = src.remaining();
        if (pending == null) {
            pending = loop.takeBuffer(more);
            pending.put(src).flip();
            return;
        }
        if (pending.capacity() - pending.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(pending.remaining() + more);
            bigger.put(pending);
            loop.giveBack(pending);
            pending = bigger.put(src).flip();
            return;
        }
        pending.compact().put(src).flip();
    }

    private void failed(Throwable e) {
        if (e instanceof IOException) {
            // Clients reset and vanish all the time; that is not the server's error.
            log.debug("connection ended with {} client={}", e.toString(), remote);
        } else {
            log.warn("handler failed client={} error={}", remote, e.toString(), e);
        }
        closeNow();
    }

    /** Closes at once, whatever is pending; every path that ends a connection comes here, once. */
    void closeNow() {
        if (closed) return;
        closed = true;
        deadline = 0;
        try {
            // Registered: the JDK shuts the output down now (the client sees EOF) and frees the fd at the next select.
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
        if (pending != null) {
            loop.giveBack(pending);
            pending = null;
        }
        if (session != null) {
            try {
                session.closed(this);
            } catch (RuntimeException e) {
                log.warn("session cleanup failed client={} error={}", remote, e.toString(), e);
            }
        }
        loop.engine().closed();
    }
}

package io.handoff.bench;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.HdrHistogram.Histogram;

/**
 * One load-generator thread: a {@link Selector} driving its share of the connections, closed-loop (a connection sends
 * its next request only when the previous answer is complete). Written so the client costs as little CPU per request
 * as possible, since it shares the machine with the server it measures: everything is allocated up front (one
 * direct read buffer per loop, one request buffer per connection, a response scanner per connection, a histogram per
 * loop), interest ops change only on partial writes, and per request there is one write, one read and a share of one
 * {@code epoll_wait}. The only allocation during a run is a new {@link SocketChannel} when a connection is replaced
 * (every request in close and hello mode).
 *
 * <p>Counters are plain fields: only this loop's thread writes them, and the caller reads them after joining it.
 */
final class LoadGeneratorLoop implements Runnable {
    /** Highest latency the histogram tracks; anything slower is a timeout anyway. */
    static final long HIGHEST_TRACKABLE_NANOS = 60_000_000_000L;
    /** How often timeouts and connect retries are checked. */
    private static final long SWEEP_NANOS = 10_000_000L;
    /** A refused connect is retried after this pause, so a dead server does not turn into a busy loop. */
    private static final long RETRY_PAUSE_NANOS = 50_000_000L;
    private static final int READ_BUFFER = 64 * 1024;

    private static final int CONNECTING = 1;
    private static final int WRITING = 2;
    private static final int READING = 3;
    /** The answer is complete; waiting for the server to close (close and hello mode, or Connection: close). */
    private static final int DRAINING = 4;
    private static final int RETRY_WAIT = 5;
    private static final int CLOSED = 6;

    private static final int ERR_CONNECT = 0;
    private static final int ERR_RESET = 1;
    private static final int ERR_TIMEOUT = 2;
    private static final int ERR_BAD = 3;

    private final LoadPlan plan;
    private final LoadWindow window;
    private final Protocol protocol;
    private final Conn[] conns;
    /** Reads land in a direct buffer (the JDK would copy through one anyway) and are copied here to be scanned. */
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
    private final byte[] readBytes = new byte[READ_BUFFER];
    private final Histogram histogram = new Histogram(1_000, HIGHEST_TRACKABLE_NANOS, 3);
    private final long[] errors = new long[4];
    private final long timeoutNanos;
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final ProtocolFamily family;
    private Selector selector;
    /** Channels whose keys were cancelled since the last select, and those the last select deregistered. */
    private List<SocketChannel> cancelled = new ArrayList<>();
    private List<SocketChannel> deregistered = new ArrayList<>();
    private long requests;
    private Exception failure;

    LoadGeneratorLoop(LoadPlan plan, int connections) {
        this.plan = plan;
        this.window = plan.window();
        this.protocol = plan.protocol();
        this.timeoutNanos = plan.timeout().toNanos();
        this.family = plan.address().getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        byte[] request = plan.request();
        conns = new Conn[connections];
        for (int i = 0; i < connections; i++) {
            ByteBuffer req = ByteBuffer.allocateDirect(Math.max(1, request.length));
            req.put(request).flip();
            conns[i] = new Conn(req, protocol.isHttp() ? new HttpResponseScanner() : null);
        }
    }

    @Override
    public void run() {
        try (Selector sel = Selector.open()) {
            selector = sel;
            long now = System.nanoTime();
            for (Conn c : conns) open(c, now);
            long lastSweep = now;
            while ((now = System.nanoTime()) - window.end() < 0) {
                long waitMs = Math.max(1, Math.min(SWEEP_NANOS, window.end() - now) / 1_000_000);
                selector.select(onReady, waitMs);
                closeDeregistered();
                now = System.nanoTime();
                if (now - lastSweep >= SWEEP_NANOS) {
                    sweep(now);
                    lastSweep = now;
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            for (Conn c : conns) closeQuietly(c);
            closeAll(cancelled);
            closeAll(deregistered);
        }
    }

    /**
     * Closes the channels whose keys the last select deregistered, and queues those cancelled since. A channel closed
     * while still registered costs the JDK a getsockopt and a shutdown on top of the close, and a deferred close at
     * the next select; one closed after deregistration is a plain close(2). In close mode that is per request.
     */
    private void closeDeregistered() {
        closeAll(deregistered);
        List<SocketChannel> t = deregistered;
        deregistered = cancelled;
        cancelled = t;
    }

    private static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel ch : channels) close(ch);
        channels.clear();
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to do: the connection is being dropped anyway
        }
    }

    long requests() { return requests; }

    Histogram histogram() { return histogram; }

    LoadResult.ErrorCounts errors() {
        return new LoadResult.ErrorCounts(errors[ERR_CONNECT], errors[ERR_RESET], errors[ERR_TIMEOUT], errors[ERR_BAD]);
    }

    /** A failure of the loop itself (the selector), not of a connection; null when there was none. */
    Exception failure() { return failure; }

    private void onReady(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        long now = System.nanoTime();
        try {
            int ready = key.readyOps();
            if ((ready & SelectionKey.OP_CONNECT) != 0) {
                connected(c, now);
                return;
            }
            if ((ready & SelectionKey.OP_WRITE) != 0 && c.state == WRITING) writeRequest(c, now);
            if ((ready & SelectionKey.OP_READ) != 0 && c.key == key) read(c, now);
        } catch (CancelledKeyException e) {
            // The connection was replaced while its event was pending: nothing to do for the old one.
        }
    }

    private void open(Conn c, long now) {
        if (now - window.end() >= 0) {
            c.state = CLOSED;
            return;
        }
        c.opStart = now;
        c.openedAt = now;
        c.received = 0;
        if (c.scanner != null) c.scanner.reset();
        try {
            // An IPv4 socket for an IPv4 target: a dual-stack one costs an extra setsockopt and more kernel work.
            SocketChannel ch = SocketChannel.open(family);
            c.channel = ch;
            ch.configureBlocking(false);
            // A request is one write into an idle connection, so Nagle never delays it; the option is set only
            // where it is paid once per many requests, to rule out any doubt on partial writes.
            if (protocol.persistent()) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            // On loopback the handshake is usually over by the time connect returns EINPROGRESS: asking at once
            // saves registering for OP_CONNECT, an epoll round and an interest change per connection.
            boolean done = ch.connect(plan.address()) || ch.finishConnect();
            c.state = CONNECTING;
            int ops = done ? (protocol.sends() ? 0 : SelectionKey.OP_READ) : SelectionKey.OP_CONNECT;
            c.key = ch.register(selector, ops, c);
            c.interest = ops;
            if (done) afterConnect(c, now);
        } catch (IOException e) {
            fail(c, ERR_CONNECT, now);
        }
    }

    private void connected(Conn c, long now) {
        try {
            if (!c.channel.finishConnect()) return;
        } catch (IOException e) {
            fail(c, ERR_CONNECT, now);
            return;
        }
        afterConnect(c, now);
    }

    private void afterConnect(Conn c, long now) {
        if (protocol.sends()) {
            startRequest(c, now);
        } else {
            c.state = READING;
            interest(c, SelectionKey.OP_READ);
        }
    }

    private void startRequest(Conn c, long now) {
        // Persistent connections time each request from its write; the others from the connect.
        if (protocol.persistent()) c.opStart = now;
        c.request.rewind();
        c.state = WRITING;
        writeRequest(c, now);
    }

    private void writeRequest(Conn c, long now) {
        try {
            c.channel.write(c.request);
        } catch (IOException e) {
            fail(c, ERR_RESET, now);
            return;
        }
        if (c.request.hasRemaining()) {
            interest(c, SelectionKey.OP_WRITE);
        } else {
            c.state = READING;
            interest(c, SelectionKey.OP_READ);
        }
    }

    private void read(Conn c, long now) {
        SocketChannel ch = c.channel;
        readOnce(c, now);
        // When the server writes its answer and closes at once (close mode, hello), the EOF is usually already
        // here: reading again now saves waking up from epoll just for it.
        if (c.channel == ch && (c.state == DRAINING || protocol == Protocol.HELLO)) readOnce(c, now);
    }

    private void readOnce(Conn c, long now) {
        ByteBuffer buf = readBuffer;
        buf.clear();
        int n;
        try {
            n = c.channel.read(buf);
        } catch (IOException e) {
            fail(c, ERR_RESET, now);
            return;
        }
        if (n < 0) {
            endOfStream(c, now);
            return;
        }
        if (n == 0) return;
        buf.flip();
        if (c.state == DRAINING) {
            // Bytes after a complete answer that promised to close: not a response we can account for.
            fail(c, ERR_BAD, now);
            return;
        }
        switch (protocol) {
            case HTTP_KEEPALIVE, HTTP_CLOSE -> {
                buf.get(0, readBytes, 0, n);
                readHttp(c, n, now);
            }
            case ECHO -> {
                c.received += n;
                if (c.received > Protocol.ECHO_SIZE) {
                    fail(c, ERR_BAD, now);
                } else if (c.received == Protocol.ECHO_SIZE) {
                    complete(c, now, true);
                    c.received = 0;
                    startRequest(c, now);
                }
            }
            case HELLO -> {
                c.received += n;
                c.lastByte = buf.get(n - 1);
            }
        }
    }

    private void readHttp(Conn c, int n, long now) {
        int r = c.scanner.scan(readBytes, 0, n);
        if (r == HttpResponseScanner.NEED_MORE) return;
        if (r == HttpResponseScanner.ERROR || c.scanner.position() < n) {
            // Unparseable, or bytes beyond the one response we asked for (we never pipeline).
            fail(c, ERR_BAD, now);
            return;
        }
        boolean ok = c.scanner.status() >= 200 && c.scanner.status() < 400;
        if (protocol == Protocol.HTTP_CLOSE) {
            // Timed at EOF: a close-mode request is over when the server has closed.
            c.goodAnswer = ok;
            c.state = DRAINING;
        } else if (c.scanner.closeRequested()) {
            complete(c, now, ok);
            c.goodAnswer = true;
            c.state = DRAINING;
        } else {
            complete(c, now, ok);
            startRequest(c, now);
        }
    }

    private void endOfStream(Conn c, long now) {
        switch (protocol) {
            case HTTP_KEEPALIVE, HTTP_CLOSE -> {
                if (c.state == DRAINING) {
                    if (protocol == Protocol.HTTP_CLOSE) complete(c, now, c.goodAnswer);
                    reconnect(c, now);
                    return;
                }
                int r = c.scanner.onEof();
                if (r == HttpResponseScanner.COMPLETE) {
                    complete(c, now, c.scanner.status() >= 200 && c.scanner.status() < 400);
                    reconnect(c, now);
                } else {
                    // Closed with our request unanswered (or half answered).
                    fail(c, ERR_RESET, now);
                }
            }
            case HELLO -> {
                if (c.received > 0) {
                    complete(c, now, c.lastByte == '\n');
                    reconnect(c, now);
                } else {
                    fail(c, ERR_BAD, now);
                }
            }
            case ECHO -> fail(c, ERR_RESET, now);
        }
    }

    /** One answer finished at {@code now}; it counts only inside the measured window. */
    private void complete(Conn c, long now, boolean ok) {
        if (!inWindow(now)) return;
        if (ok) {
            requests++;
            histogram.recordValue(Math.min(Math.max(0, now - c.opStart), HIGHEST_TRACKABLE_NANOS));
        } else {
            errors[ERR_BAD]++;
        }
    }

    private void fail(Conn c, int kind, long now) {
        if (inWindow(now)) errors[kind]++;
        closeQuietly(c);
        // Reconnect at once after a failure on an established connection, but pause after a refused connect (or a
        // connection that failed the instant it opened), so a dead server cannot turn this into a busy loop.
        if (kind == ERR_CONNECT || c.openedAt == now) {
            c.state = RETRY_WAIT;
            c.retryAt = now + RETRY_PAUSE_NANOS;
        } else {
            open(c, now);
        }
    }

    private void reconnect(Conn c, long now) {
        closeQuietly(c);
        open(c, now);
    }

    private void sweep(long now) {
        for (Conn c : conns) {
            if (c.state == RETRY_WAIT) {
                if (now - c.retryAt >= 0) open(c, now);
            } else if (c.state != CLOSED && now - c.opStart > timeoutNanos) {
                fail(c, ERR_TIMEOUT, now);
            }
        }
    }

    private boolean inWindow(long now) {
        return window.contains(now);
    }

    private static void interest(Conn c, int ops) {
        if (c.interest != ops) {
            c.key.interestOps(ops);
            c.interest = ops;
        }
    }

    /** Drops the connection: its key is cancelled now, the channel closed once the selector has let go of it. */
    private void closeQuietly(Conn c) {
        SocketChannel ch = c.channel;
        SelectionKey key = c.key;
        c.channel = null;
        c.key = null;
        c.state = CLOSED;
        if (ch == null) return;
        if (key != null) {
            key.cancel();
            cancelled.add(ch);
        } else {
            close(ch);
        }
    }

    /** One client connection's state; reused across reconnects. */
    private static final class Conn {
        final ByteBuffer request;
        final HttpResponseScanner scanner;
        SocketChannel channel;
        SelectionKey key;
        int state = CLOSED;
        int interest;
        long opStart;
        long retryAt;
        long openedAt;
        int received;
        byte lastByte;
        boolean goodAnswer;

        Conn(ByteBuffer request, HttpResponseScanner scanner) {
            this.request = request;
            this.scanner = scanner;
        }
    }
}

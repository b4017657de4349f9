package io.handoff.engine;

import java.io.IOException;
import java.util.function.IntSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capacity check in front of a blocking acceptor: at most {@code max} connections open, counting the ones
 * acceptors took and have not yet handed to the engine. At capacity the acceptor does not call accept(2) at all, so
 * new clients wait in the kernel's listen backlog (and beyond it are refused by the kernel) instead of costing an fd
 * and memory here. When accept itself fails (EMFILE when the fd limit is reached, ENFILE, ENOBUFS) the acceptor backs
 * off instead of spinning on a listener that stays readable, and keeps serving what it has. Both conditions are
 * logged once per episode.
 *
 * <p>Usage per connection: {@link #acquire}, then accept; then {@link #release()} once the engine counts the
 * connection in {@code open} (or the accept failed). Several acceptor threads may share one gate.
 */
public final class AcceptGate {
    private static final Logger log = LoggerFactory.getLogger(AcceptGate.class);
    /** How often a full acceptor looks again; connections end asynchronously and nothing signals it. */
    static final long FULL_POLL_MILLIS = 5;
    /** How long to wait after a failed accept: long enough not to spin, short enough to recover quickly. */
    public static final long ACCEPT_ERROR_BACKOFF_MILLIS = 100;

    private final int max;
    private final IntSupplier open;
    private final String where;
    private int reserved;
    private final Episode full = new Episode(log);
    private final Episode failing = new Episode(log);

    /**
     * @param max   connections this process may hold at once
     * @param open  the engine's count of connections it serves
     * @param where a flag-like description for the log lines, e.g. {@code max_connections=10000}
     */
    public AcceptGate(int max, IntSupplier open, String where) {
        if (max < 1) throw new IllegalArgumentException("max must be at least 1, got " + max);
        this.max = max;
        this.open = open;
        this.where = where;
    }

    /**
     * Blocks until one more connection fits, and reserves it; returns false, reserving nothing, as soon as
     * {@code wanted} turns false (the listener closed while the acceptor waited).
     */
    public boolean acquire(java.util.function.BooleanSupplier wanted) throws InterruptedException {
        while (!tryAcquire()) {
            if (!wanted.getAsBoolean()) return false;
            full.seen("at capacity open={} {}; new connections wait in the listen backlog", open.getAsInt(), where);
            Thread.sleep(FULL_POLL_MILLIS);
        }
        full.clear("accepting again open={} {}", open.getAsInt(), where);
        return true;
    }

    private synchronized boolean tryAcquire() {
        if (open.getAsInt() + reserved >= max) return false;
        reserved++;
        return true;
    }

    /** Gives a reservation back: the engine now counts the connection, or the accept did not produce one. */
    public synchronized void release() { reserved--; }

    /** The accept succeeded: ends an episode of failures. */
    public void accepted() {
        failing.clear("accept works again open={}", open.getAsInt());
    }

    /**
     * Accepting or taking on a connection failed with {@code e}: logs it once per episode and waits before the next
     * try. An accept that fails for want of fds leaves the client in the backlog, where it waits for the next try.
     */
    public void acceptFailed(String listener, Throwable e) throws InterruptedException {
        String error = e.getMessage() != null ? e.getMessage() : e.toString();
        boolean fds = error.contains("Too many open files") || error.contains("EMFILE") || error.contains("ENFILE");
        failing.seen("accept failing on {} error={} open={}; retrying every {}ms{}", listener, error,
                open.getAsInt(), ACCEPT_ERROR_BACKOFF_MILLIS, fds ? " (out of fds: raise ulimit -n or lower "
                        + "--max-connections)" : "");
        Thread.sleep(ACCEPT_ERROR_BACKOFF_MILLIS);
    }

    public int max() { return max; }

    /**
     * Accepts on a blocking Unix-side server socket that must outlive running out of fds (the control socket, the
     * worker rendezvous): a failed accept is logged once per episode and retried every
     * {@link #ACCEPT_ERROR_BACKOFF_MILLIS}. Returns null once the socket is closed or the thread is interrupted.
     */
    public static java.nio.channels.SocketChannel acceptPatiently(java.nio.channels.ServerSocketChannel server,
            Episode failing, String what) {
        while (server.isOpen()) {
            try {
                java.nio.channels.SocketChannel ch = server.accept();
                failing.clear("{} accept works again", what);
                return ch;
            } catch (java.io.IOException e) {
                if (!server.isOpen()) return null;
                failing.seen("{} accept failing error={}; retrying every {}ms", what, e.toString(),
                        ACCEPT_ERROR_BACKOFF_MILLIS);
                try {
                    Thread.sleep(ACCEPT_ERROR_BACKOFF_MILLIS);
                } catch (InterruptedException ie) {
                    return null;
                }
            }
        }
        return null;
    }
}

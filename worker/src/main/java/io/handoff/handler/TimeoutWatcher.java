package io.handoff.handler;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces {@link Timeouts} on the blocking connections of one engine, with one thread for all of them.
 *
 * <p>A {@link Connection} read writes its deadline into a field before it blocks and clears it after; this thread
 * sleeps until the earliest deadline, and shuts the input of a connection whose read is still waiting at its
 * deadline: the blocked read wakes (the JDK unparks a virtual thread, signals a platform one) and sees end of stream,
 * which the connection turns into a {@link java.net.SocketTimeoutException}. The output stays open, so the handler
 * can still answer (HTTP: 408). Per read that costs a clock read and two field writes; per connection one set entry.
 * A timed read through the socket adaptor's {@code setSoTimeout} would instead schedule and cancel a timer task per
 * read of a virtual thread, and could not express a deadline for a whole request. Writes are watched the same way
 * ({@code --idle-timeout} without the client taking a byte), and one past its deadline has the whole socket shut.
 *
 * <p>The sleep is never longer than the shortest timeout, so a deadline armed while this thread sleeps (at least
 * that far ahead) is never missed.
 */
public final class TimeoutWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TimeoutWatcher.class);

    private final Timeouts timeouts;
    private final long idleNanos;
    private final long readNanos;
    /** Clock readings start at 1, so 0 can mean "no deadline". */
    private final long origin = System.nanoTime() - 1;
    private final Set<Connection> watched = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean closed;

    /** @param name names the watcher thread, e.g. after the engine */
    public TimeoutWatcher(Timeouts timeouts, String name) {
        this.timeouts = timeouts;
        this.idleNanos = timeouts.idle().toNanos();
        this.readNanos = timeouts.read().toNanos();
        this.thread = timeouts.enabled()
                ? Thread.ofPlatform().daemon().name("timeouts-" + name).start(this::run)
                : null;
    }

    public Timeouts timeouts() { return timeouts; }

    boolean enabled() { return thread != null; }

    long idleNanos() { return idleNanos; }

    long readNanos() { return readNanos; }

    long clock() { return System.nanoTime() - origin; }

    void watch(Connection c) {
        if (thread != null) watched.add(c);
    }

    void unwatch(Connection c) {
        if (thread != null) watched.remove(c);
    }

    int watched() { return watched.size(); }

    private void run() {
        long shortest = Math.min(idleNanos > 0 ? idleNanos : Long.MAX_VALUE, readNanos > 0 ? readNanos : Long.MAX_VALUE);
        while (!closed) {
            long now = clock();
            long wake = now + shortest;
            for (Connection c : watched) {
                try {
                    long next = c.expireIfDue(now);
                    if (next != 0 && next < wake) wake = next;
                } catch (RuntimeException e) {
                    log.warn("timeout check failed {} error={}", c, e.toString(), e);
                }
            }
            LockSupport.parkNanos(this, wake - clock());
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) LockSupport.unpark(thread);
    }
}

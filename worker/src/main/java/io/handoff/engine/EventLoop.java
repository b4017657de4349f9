package io.handoff.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread and the connections it owns. Only {@link #adopt} and {@link #stop} are called from other
 * threads; everything else, including every session callback, runs on the loop thread, which is why the buffers
 * below can be shared by all of its connections without a lock.
 */
final class EventLoop {
    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
    /** One read's worth, and the size of the buffers that hold output the socket did not take. */
    static final int BUFFER_SIZE = 64 * 1024;
    /** Spare output buffers kept for reuse; beyond this, buffers freed after back-pressure go to the GC. */
    private static final int SPARE_BUFFERS = 32;

    private final EventLoopEngine engine;
    private final int index;
    private final Selector selector;
    private final Thread thread;
    private final Queue<SocketChannel> incoming = new ConcurrentLinkedQueue<>();
    /** True while the loop is (about to be) blocked in select, the only time a wakeup is worth its syscall. */
    private volatile boolean selecting;
    private volatile boolean running = true;

    /** Every read lands here; the session copies what it keeps before the next connection's read. */
    final ByteBuffer input = ByteBuffer.allocateDirect(BUFFER_SIZE);
    /** Heap bytes on their way to a socket pass through here, instead of through a JDK temporary buffer. */
    final ByteBuffer staging = ByteBuffer.allocateDirect(BUFFER_SIZE);
    private final ArrayDeque<ByteBuffer> spare = new ArrayDeque<>();
    /** Made once: a method reference evaluated per select would be an allocation per select. */
    private final java.util.function.Consumer<SelectionKey> onReady = this::ready;

    // Timeouts, in nanoseconds on a clock that starts at 1 (0 means "none"); 0 turns one off.
    private final long idleNanos;
    final long readNanos;
    private final boolean timed;
    /** How long the loop may go without looking at deadlines: the shortest timeout. */
    private final long checkEvery;
    private final long origin = System.nanoTime() - 1;
    /** The clock as of this round of events (read at most once per select), valid while {@link #stale} is false. */
    private long now;
    private boolean stale = true;
    /** When the next connection may time out: deadlines are looked at no sooner. */
    private long nextCheck;
    private final List<EventLoopConnection> expired = new ArrayList<>();

    EventLoop(EventLoopEngine engine, int index, io.handoff.handler.Timeouts timeouts) throws IOException {
        this.engine = engine;
        this.index = index;
        this.idleNanos = timeouts.idle().toNanos();
        this.readNanos = timeouts.read().toNanos();
        this.timed = timeouts.enabled();
        this.checkEvery = Math.min(idleNanos > 0 ? idleNanos : Long.MAX_VALUE, readNanos > 0 ? readNanos : Long.MAX_VALUE);
        this.nextCheck = timed ? clock() + checkEvery : Long.MAX_VALUE;
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name("event-loop-" + index).daemon().unstarted(this::run);
    }

    void start() { thread.start(); }

    EventLoopEngine engine() { return engine; }

    /** From the acceptor: queue the connection and wake the loop if it sleeps. */
    void adopt(SocketChannel channel) {
        incoming.add(channel);
        // Pairs with run(): it sets 'selecting' before looking at the queue, this adds before looking at 'selecting',
        // so either the loop sees the connection or this sees the loop asleep and wakes it.
        if (selecting) selector.wakeup();
    }

    private void run() {
        try {
            while (running) {
                selecting = true;
                stale = true;
                try {
                    if (!incoming.isEmpty() || !running) {
                        selector.selectNow(onReady);
                    } else if (timed) {
                        selector.select(onReady, untilNextCheckMillis());
                    } else {
                        selector.select(onReady);
                    }
                } catch (IOException e) {
                    log.warn("select failed loop={} error={}", index, e.toString());
                    // Whatever broke the selector is unlikely to mend within microseconds: no hot loop, no log flood.
                    pause();
                } finally {
                    selecting = false;
                }
                registerIncoming();
                if (timed) checkDeadlines();
            }
        } catch (ClosedSelectorException e) {
            // stop() raced with a select: we are done anyway
        } catch (RuntimeException | Error e) {
            log.error("event loop failed loop={} error={}", index, e.toString(), e);
        } finally {
            closeEverything();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void ready(SelectionKey key) {
        if (key.isValid()) ((EventLoopConnection) key.attachment()).ready(key.readyOps());
    }

    private long clock() { return System.nanoTime() - origin; }

    /** The time of this round of events, for deadlines: one clock read per select, however many connections. */
    long now() {
        if (stale) {
            now = clock();
            stale = false;
        }
        return now;
    }

    /** The read deadline for a connection about to wait for input: idle from now, or its request's, if sooner. */
    long readDeadline(long requestDeadline) {
        if (!timed) return 0;
        long d = idleNanos > 0 ? now() + idleNanos : 0;
        if (requestDeadline != 0 && (d == 0 || requestDeadline < d)) d = requestDeadline;
        return d;
    }

    /** The deadline for a connection about to wait for the client to take its output: idle from now (send_timeout). */
    long writeDeadline() {
        return timed && idleNanos > 0 ? now() + idleNanos : 0;
    }

    private long untilNextCheckMillis() {
        return Math.max(1, (nextCheck - clock() + 999_999) / 1_000_000);
    }

    /**
     * Times out the connections whose deadline has passed, at most once per {@link #checkEvery} and otherwise only
     * when the earliest deadline is due: one pass over the keys per timeout period, not per event. A deadline set
     * after a pass is at least {@code checkEvery} away, so it cannot fall before the next one.
     */
    private void checkDeadlines() {
        long t = clock();
        if (t < nextCheck) return;
        long next = t + checkEvery;
        for (SelectionKey k : selector.keys()) {
            EventLoopConnection c = (EventLoopConnection) k.attachment();
            long d = c.deadline();
            if (d == 0) continue;
            if (d <= t) expired.add(c);
            else if (d < next) next = d;
        }
        nextCheck = next;
        stale = true;
        for (EventLoopConnection c : expired) c.timedOut();
        expired.clear();
    }

    private void registerIncoming() {
        for (SocketChannel ch; (ch = incoming.poll()) != null; ) new EventLoopConnection(this, ch).open(selector);
    }

    /** Ends the loop: it closes every connection it still has, then its selector. Callable from any thread. */
    void stop() {
        running = false;
        selector.wakeup();
    }

    void await(Duration timeout) throws InterruptedException {
        if (thread.isAlive() && !thread.join(timeout)) {
            log.warn("event loop did not stop within {}ms loop={}", timeout.toMillis(), index);
        }
    }

    /** For a loop whose thread never started (the engine could not make them all). */
    void discard() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing to recover
        }
    }

    /** Connections queued for this loop that it never took (it stopped first). */
    void closeQueued() {
        for (SocketChannel ch; (ch = incoming.poll()) != null; ) engine.closeUnserved(ch);
    }

    private void closeEverything() {
        List<SelectionKey> keys;
        try {
            keys = new ArrayList<>(selector.keys());
        } catch (ClosedSelectorException e) {
            keys = List.of();
        }
        for (SelectionKey k : keys) ((EventLoopConnection) k.attachment()).closeNow();
        closeQueued();
        try {
            selector.close();
        } catch (IOException ignored) {
            // the loop is gone either way
        }
    }

    /** A buffer for output the socket did not take: a spare one when it fits, else a heap buffer of the size. */
    ByteBuffer takeBuffer(int size) {
        if (size > BUFFER_SIZE) return ByteBuffer.allocate(size);
        ByteBuffer b = spare.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(BUFFER_SIZE);
    }

    void giveBack(ByteBuffer b) {
        if (b.isDirect() && b.capacity() == BUFFER_SIZE && spare.size() < SPARE_BUFFERS) spare.push(b);
    }
}

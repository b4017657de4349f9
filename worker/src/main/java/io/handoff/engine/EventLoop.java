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

    EventLoop(EventLoopEngine engine, int index) throws IOException {
        this.engine = engine;
        this.index = index;
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
                try {
                    if (incoming.isEmpty() && running) {
                        selector.select(onReady);
                    } else {
                        selector.selectNow(onReady);
                    }
                } catch (IOException e) {
                    log.warn("select failed loop={} error={}", index, e.toString());
                    // Whatever broke the selector is unlikely to mend within microseconds: no hot loop, no log flood.
                    pause();
                } finally {
                    selecting = false;
                }
                registerIncoming();
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

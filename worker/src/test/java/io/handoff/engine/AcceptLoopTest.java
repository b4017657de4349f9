package io.handoff.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.handoff.handler.Handler;

/** The shared accept loop on real loopback sockets, with an engine that only records what it is handed. */
@Timeout(30)
class AcceptLoopTest {
    /** Counts as open whatever the test says, so the test holds the gate shut or open. */
    static final class RecordingEngine implements Engine {
        final BlockingQueue<SocketChannel> served = new LinkedBlockingQueue<>();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger failNext = new AtomicInteger();

        @Override
        public void serve(SocketChannel channel) {
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                close(channel);
                throw new OutOfMemoryError("unable to create native thread (test)");
            }
            served.add(channel);
        }

        @Override
        public void handler(Handler handler) {}

        @Override
        public void startDraining() {}

        @Override
        public int open() { return open.get(); }

        @Override
        public long served() { return served.size(); }

        @Override
        public boolean shutdown(Duration grace) { return true; }

        @Override
        public String name() { return "recording"; }
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final RecordingEngine engine = new RecordingEngine();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AcceptLoop loop = new AcceptLoop(engine, new AcceptGate(1, engine::open, "max=1"), stopping::get);
    private ServerSocketChannel listener;

    @AfterEach
    void closeAll() {
        toClose.forEach(AcceptLoopTest::close);
        engine.served.forEach(AcceptLoopTest::close);
    }

    private Thread start(boolean deferred) throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        toClose.add(listener);
        return Thread.ofPlatform().daemon().start(() -> loop.run(listener, "test", deferred));
    }

    private SocketChannel connect(String send) throws IOException {
        SocketChannel c = SocketChannel.open(listener.getLocalAddress());
        toClose.add(c);
        if (!send.isEmpty()) c.write(ByteBuffer.wrap(send.getBytes()));
        return c;
    }

    private static String firstByte(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        assertEquals(1, ch.read(b));
        return new String(b.array());
    }

    @Test
    void handsEachAcceptedConnectionToTheEngineAndEndsWhenTheListenerCloses() throws Exception {
        Thread t = start(false);
        connect("a");
        SocketChannel got = engine.served.poll(10, TimeUnit.SECONDS);
        assertNotNull(got, "the engine never got the connection");
        assertTrue(got.isBlocking());
        assertEquals("a", firstByte(got));
        listener.close();
        assertTrue(t.join(Duration.ofSeconds(10)), "the loop went on after its listener closed");
    }

    @Test
    void aConnectionGoneBeforeItsFirstByteIsClosedAtAcceptAndStillLeadsToTheStopCheck() throws Exception {
        engine.open.set(1); // at capacity: the loop waits at the gate while the test lines up the backlog
        Thread t = start(true);
        connect("").close(); // what the stop's wake-up connect looks like
        Thread.sleep(200); // the FIN arrives before the loop accepts
        stopping.set(true);
        engine.open.set(0);
        assertTrue(t.join(Duration.ofSeconds(10)), "after a connection closed at accept the loop missed the stop");
        assertEquals(1, loop.goneBeforeData());
        assertNull(engine.served.poll(), "a connection gone before its first byte reached the engine");
    }

    @Test
    void atStopTakesWhatTheKernelHasQueuedPastTheGate() throws Exception {
        engine.open.set(1);
        Thread t = start(true);
        for (String first : List.of("1", "2", "3")) connect(first);
        Thread.sleep(200);
        stopping.set(true);
        engine.open.set(0); // the first passes the gate; the stop check after it takes the other two
        assertTrue(t.join(Duration.ofSeconds(10)), "the loop did not end at the stop");
        List<String> got = new ArrayList<>();
        for (SocketChannel ch : engine.served) {
            assertTrue(ch.isBlocking(), "a queued connection was handed over in non-blocking mode");
            got.add(firstByte(ch));
        }
        assertEquals(List.of("1", "2", "3"), got);
        assertEquals(0, loop.goneBeforeData());
    }

    @Test
    void anEngineThatCannotTakeAConnectionReleasesItsPlaceAndTheLoopGoesOn() throws Exception {
        engine.failNext.set(1);
        Thread t = start(false);
        connect("x");
        connect("y");
        // With max 1, a reservation kept for the refused connection would block the second accept forever.
        SocketChannel got = engine.served.poll(10, TimeUnit.SECONDS);
        assertNotNull(got, "after the engine refused one connection the loop served no other");
        assertEquals("y", firstByte(got));
        assertFalse(stopping.get());
        listener.close();
        assertTrue(t.join(Duration.ofSeconds(10)));
    }

    @Test
    void wakeMakesALoopBlockedInAcceptSeeTheStop() throws Exception {
        Thread t = start(true);
        Thread.sleep(100); // blocked in accept
        stopping.set(true);
        AcceptLoop.wake(listener);
        assertTrue(t.join(Duration.ofSeconds(10)), "the wake-up connect did not end the loop");
        assertTrue(listener.isOpen(), "the loop must leave closing the listener to its owner");
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // test clean-up
        }
    }
}

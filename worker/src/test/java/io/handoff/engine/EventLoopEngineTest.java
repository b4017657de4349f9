package io.handoff.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.handoff.handler.EchoHandler;
import io.handoff.handler.EventConnection;
import io.handoff.handler.EventHandler;
import io.handoff.handler.EventSession;
import io.handoff.handler.Handler;
import io.handoff.handler.HelloHandler;
import io.handoff.handler.Timeouts;

/** The event-loop engine with the echo and hello state machines, on real loopback sockets in this JVM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventLoopEngineTest {
    private ServerSocketChannel server;
    private EventLoopEngine engine;

    /** Accepts on a virtual thread and feeds the engine, as the supervisor's acceptor does. */
    private int start(Handler handler, int loops) throws IOException {
        return start(new EventLoopEngine(handler, loops));
    }

    private int start(EventLoopEngine started) throws IOException {
        engine = started;
        server = ServerSocketChannel.open();
        // Fixed, small kernel buffers (accepted sockets inherit it) make what the server itself buffers visible.
        server.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 64 * 1024);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel ch = server.accept();
                    engine.serve(ch);
                } catch (IOException e) {
                    return;
                }
            }
        });
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) server.close();
        if (engine != null) engine.shutdown(Duration.ZERO);
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(64 * 1024);
        s.setSendBufferSize(64 * 1024);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        s.setSoTimeout(20_000);
        return s;
    }

    @Test
    void helloGreetsAndCloses() throws Exception {
        int port = start(new HelloHandler(), 2);
        for (int i = 0; i < 200; i++) {
            try (Socket s = connect(port)) {
                assertEquals("Hello 127.0.0.1\n", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        }
        awaitOpen(0);
        assertEquals(200, engine.served());
    }

    /**
     * A client that sends 64 MB and reads nothing: the server must stop reading once its echo cannot leave, so the
     * client's writes stall far short of the total (a server that kept reading would buffer it all; the kernel's
     * buffers, a few MB with the sizes set here, are all that may fill). Once the client reads, every byte comes
     * back, in order.
     */
    @Test
    void echoStopsReadingWhileItsOutputIsStuck() throws Exception {
        int port = start(new EchoHandler(), 1);
        long total = 64L * 1024 * 1024;
        try (Socket s = connect(port)) {
            AtomicLong sent = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (long off = 0; off < total; off += chunk.length) {
                        for (int i = 0; i < chunk.length; i++) chunk[i] = pattern(off + i);
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            long last = -1;
            for (int i = 0; i < 50 && sent.get() != last; i++) {
                last = sent.get();
                Thread.sleep(100);
            }
            System.out.println("echo writer stalled after " + sent.get() + " bytes");
            assertTrue(sent.get() < total / 4, "writer should stall, sent " + sent.get());
            InputStream in = s.getInputStream();
            byte[] buf = new byte[100_000];
            long got = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != pattern(got + i)) throw new AssertionError("byte " + (got + i) + " differs");
                }
                got += n;
            }
            assertEquals(total, got);
            writer.join(Duration.ofSeconds(10));
        }
    }

    private static byte pattern(long i) { return (byte) (i * 31 + (i >>> 13)); }

    @Test
    void echoesRandomPayloadsTo500ConcurrentClients() throws Exception {
        int port = start(new EchoHandler(), 2);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> results = new ArrayList<>();
            for (int c = 0; c < 500; c++) {
                long seed = c;
                results.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    byte[] payload = new byte[1 + rnd.nextInt(200 * 1024)];
                    for (int i = 0; i < payload.length; i++) payload[i] = (byte) rnd.nextInt(256);
                    try (Socket s = connect(port)) {
                        s.setSendBufferSize(4096);
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                OutputStream out = s.getOutputStream();
                                for (int off = 0; off < payload.length; ) {
                                    int n = Math.min(payload.length - off, 1 + rnd.nextInt(8192));
                                    out.write(payload, off, n);
                                    off += n;
                                }
                                s.shutdownOutput();
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                        });
                        assertArrayEquals(payload, s.getInputStream().readAllBytes(), "seed " + seed);
                        writer.join(Duration.ofSeconds(30));
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) f.get(100, TimeUnit.SECONDS);
        }
        awaitOpen(0);
        assertEquals(500, engine.served());
    }

    /** A session that throws loses its own connection (closed, logged); the loop and its other connections go on. */
    @Test
    void sessionThatThrowsCostsOnlyItsConnection() throws Exception {
        class Fragile implements Handler, EventHandler {
            @Override
            public void handle(io.handoff.handler.Connection connection) {}

            @Override
            public EventSession open(EventConnection connection) {
                return (c, input) -> {
                    if (input.get(input.position()) == '!') throw new IllegalStateException("on purpose");
                    c.write(input);
                };
            }
        }
        int port = start(new Fragile(), 1);
        try (Socket steady = connect(port)) {
            steady.getOutputStream().write('a');
            assertEquals('a', steady.getInputStream().read());
            try (Socket fragile = connect(port)) {
                fragile.getOutputStream().write('!');
                assertEquals(-1, fragile.getInputStream().read(), "closed after its session threw");
            }
            steady.getOutputStream().write('b');
            assertEquals('b', steady.getInputStream().read(), "same loop, still served");
            awaitOpen(1);
        }
        awaitOpen(0);
    }

    /** Echo has no requests, so only the idle timeout applies: a connection that goes quiet is closed. */
    @Test
    void quietConnectionIsClosedAtTheIdleTimeoutAndABusyOneIsNot() throws Exception {
        // A second: far longer than the pauses below, even on a machine busy enough to stall this JVM for a while.
        engine = new EventLoopEngine(new EchoHandler(), 1, new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
        int port = start(engine);
        try (Socket quiet = connect(port); Socket busy = connect(port)) {
            long t0 = System.nanoTime();
            // Busy well past both timeouts: every byte restarts the idle clock, and echo never begins a request.
            for (int i = 0; i < 30; i++) {
                busy.getOutputStream().write('x');
                assertEquals('x', busy.getInputStream().read());
                Thread.sleep(50);
            }
            assertEquals(-1, quiet.getInputStream().read(), "quiet one closed");
            assertTrue(System.nanoTime() - t0 >= Duration.ofSeconds(1).toNanos());
            busy.getOutputStream().write('y');
            assertEquals('y', busy.getInputStream().read());
        }
    }

    @Test
    void blockingOnlyHandlersAreRefused() {
        Handler blocking = connection -> { };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EventLoopEngine(blocking, 1));
        assertTrue(e.getMessage().contains("blocking"), e.getMessage());
    }

    private void awaitOpen(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (engine.open() != n && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(n, engine.open());
    }
}

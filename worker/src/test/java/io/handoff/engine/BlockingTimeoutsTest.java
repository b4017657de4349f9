package io.handoff.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import io.handoff.handler.Handler;
import io.handoff.handler.Timeouts;

/**
 * The blocking engines' side of the timeouts and of handler containment, with handlers written as a user would:
 * reads through {@code Connection.input()}, a handler that never returns.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockingTimeoutsTest {
    private static final Duration NEVER = Duration.ofSeconds(60);

    private ServerSocketChannel server;
    private Engine engine;

    private int start(String model, Handler handler, Timeouts timeouts) throws IOException {
        engine = model.equals("threads") ? new ThreadPoolEngine(handler, 4, timeouts)
                : new VirtualThreadEngine(handler, timeouts);
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try {
                    engine.awaitSlot();
                    SocketChannel ch = server.accept();
                    engine.serve(ch);
                } catch (IOException | InterruptedException e) {
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
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        s.setSoTimeout(20_000);
        return s;
    }

    /** Reads lines and echoes them, as a user handler would, until the client closes or a read fails. */
    private static Handler lineEcho(List<Throwable> failures) {
        return c -> {
            var in = new BufferedReader(new InputStreamReader(c.input(), StandardCharsets.US_ASCII));
            try {
                for (String line; (line = in.readLine()) != null; ) {
                    c.output().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                failures.add(e);
                throw e;
            }
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtual", "threads"})
    void quietClientOfAUserHandlerIsCutOffAtTheIdleTimeout(String model) throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        // A second: far longer than the pauses below, even on a machine busy enough to stall this JVM for a while.
        int port = start(model, lineEcho(failures), new Timeouts(Duration.ofSeconds(1), NEVER));
        try (Socket s = connect(port)) {
            var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            for (int i = 0; i < 3; i++) {
                // Pauses shorter than the timeout: each read waits afresh.
                s.getOutputStream().write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                assertEquals("line " + i, in.readLine());
                Thread.sleep(100);
            }
            assertEquals(null, in.readLine(), "closed once quiet for the idle timeout");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (failures.isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(failures.get(0) instanceof SocketTimeoutException, failures.toString());
        assertTrue(failures.get(0).getMessage().contains("idle timeout"), failures.get(0).getMessage());
        awaitOpen(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtual", "threads"})
    void requestDeadlineCountsFromItsFirstByteNotFromTheLastRead(String model) throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Handler handler = c -> {
            byte[] one = new byte[1];
            try {
                while (c.input().read(one) > 0) c.beginRequest();
            } catch (IOException e) {
                failures.add(e);
            }
        };
        int port = start(model, handler, new Timeouts(NEVER, Duration.ofMillis(400)));
        try (Socket s = connect(port)) {
            long t0 = System.nanoTime();
            try {
                while (System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos()) {
                    s.getOutputStream().write('x');
                    Thread.sleep(50);
                    if (!failures.isEmpty()) break;
                }
            } catch (IOException e) {
                // closed under us: that is the point
            }
            assertClosed(s);
        }
        assertTrue(failures.get(0).getMessage().contains("read timeout"), failures.toString());
    }

    /**
     * A handler that never returns and ignores interrupts holds only its own connection: others are served, and at
     * the stop deadline its client is let go even though its thread cannot be stopped.
     */
    @ParameterizedTest
    @ValueSource(strings = {"virtual", "threads"})
    void handlerThatNeverReturnsIsClosedAtTheStopDeadline(String model) throws Exception {
        Handler handler = c -> {
            var in = new BufferedReader(new InputStreamReader(c.input(), StandardCharsets.US_ASCII));
            String line = in.readLine();
            if ("block".equals(line)) {
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < until) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ignored) {
                        // a badly written handler: carries on
                    }
                }
            }
            c.output().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        };
        int port = start(model, handler, Timeouts.NONE);
        try (Socket blocked = connect(port)) {
            blocked.getOutputStream().write("block\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 5; i++) {
                try (Socket s = connect(port)) {
                    s.getOutputStream().write("ok\n".getBytes(StandardCharsets.US_ASCII));
                    assertEquals("ok\n", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
            }
            awaitOpen(1);
            server.close();
            long t0 = System.nanoTime();
            assertFalse(engine.shutdown(Duration.ofMillis(200)), "not graceful");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
            assertEquals(-1, blocked.getInputStream().read(), "the blocked handler's client is let go");
        } finally {
            engine = null;
        }
    }

    private void awaitOpen(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (engine.open() != n && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(n, engine.open());
    }

    /**
     * The server closed: end of stream, or a reset when the client's last bytes were still unread at the close (the
     * kernel then answers RST instead of FIN).
     */
    private static void assertClosed(Socket s) throws IOException {
        try {
            assertEquals(-1, s.getInputStream().read());
        } catch (java.net.SocketException reset) {
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
        }
    }
}

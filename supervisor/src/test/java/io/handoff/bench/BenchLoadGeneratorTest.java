package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The load generator against tiny in-test servers: it counts what it should, and each kind of error as such. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BenchLoadGeneratorTest {
    private static final Duration WARMUP = Duration.ofMillis(200);
    private static final Duration DURATION = Duration.ofMillis(600);

    /** A server on loopback that serves every connection on its own virtual thread with {@code conversation}. */
    private static final class TinyServer implements AutoCloseable {
        final ServerSocket socket;
        final AtomicLong accepted = new AtomicLong();

        TinyServer(Conversation conversation) throws IOException {
            socket = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        accepted.incrementAndGet();
                        Thread.ofVirtual().start(() -> {
                            try (s) {
                                conversation.serve(s.getInputStream(), s.getOutputStream());
                            } catch (IOException ignored) {
                                // the client went away
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    interface Conversation {
        void serve(InputStream in, OutputStream out) throws IOException;
    }

    /** Minimal HTTP/1.1: answers each request head; closes after one that asked to. */
    private static void http(InputStream in, OutputStream out) throws IOException {
        byte[] ok = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n".getBytes(StandardCharsets.US_ASCII);
        byte[] okClose = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n"
                .getBytes(StandardCharsets.US_ASCII);
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                boolean close = head.toString().toLowerCase().contains("connection: close");
                out.write(close ? okClose : ok);
                out.flush();
                if (close) return;
                head.setLength(0);
            }
        }
    }

    private static LoadResult run(InetSocketAddress a, Protocol p, int connections, Duration timeout)
            throws Exception {
        return LoadGenerator.run(LoadPlan.startingNow(a, "127.0.0.1:" + a.getPort(), p, connections, 2, WARMUP,
                DURATION, timeout));
    }

    @Test
    void httpKeepAliveReusesItsConnections() throws Exception {
        try (TinyServer s = new TinyServer(BenchLoadGeneratorTest::http)) {
            LoadResult r = run(s.address(), Protocol.HTTP_KEEPALIVE, 4, Duration.ofSeconds(2));
            assertTrue(r.requests() > 100, r.toString());
            assertEquals(0, r.errors().total(), r.toString());
            assertEquals(4, s.accepted.get(), "one connection each, kept alive");
            assertTrue(r.latency().p50() > 0 && r.latency().p50() <= r.latency().p99(), r.toString());
        }
    }

    @Test
    void httpCloseUsesAConnectionPerRequest() throws Exception {
        try (TinyServer s = new TinyServer(BenchLoadGeneratorTest::http)) {
            LoadResult r = run(s.address(), Protocol.HTTP_CLOSE, 4, Duration.ofSeconds(2));
            assertTrue(r.requests() > 20, r.toString());
            assertEquals(0, r.errors().total(), r.toString());
            assertTrue(s.accepted.get() >= r.requests(), s.accepted.get() + " connections for " + r.requests());
        }
    }

    @Test
    void helloCountsGreetings() throws Exception {
        try (TinyServer s = new TinyServer((in, out) -> out.write("Hello 127.0.0.1\n".getBytes()))) {
            LoadResult r = run(s.address(), Protocol.HELLO, 4, Duration.ofSeconds(2));
            assertTrue(r.requests() > 20, r.toString());
            assertEquals(0, r.errors().total(), r.toString());
        }
    }

    @Test
    void echoCountsRoundTrips() throws Exception {
        try (TinyServer s = new TinyServer((in, out) -> {
            byte[] buf = new byte[1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        })) {
            LoadResult r = run(s.address(), Protocol.ECHO, 4, Duration.ofSeconds(2));
            assertTrue(r.requests() > 100, r.toString());
            assertEquals(0, r.errors().total(), r.toString());
            assertEquals(4, s.accepted.get());
        }
    }

    @Test
    void aRefusedPortGivesConnectErrorsAndNoRequests() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
        LoadResult r = run(closed, Protocol.HTTP_KEEPALIVE, 3, Duration.ofSeconds(2));
        assertEquals(0, r.requests());
        assertTrue(r.errors().connect() > 0, r.toString());
        // Refused connects are retried after a pause, not in a busy loop: at most ~20 per connection per second.
        assertTrue(r.errors().connect() < 3 * 20 * 2, r.toString());
    }

    @Test
    void garbageAnswersAreBadResponses() throws Exception {
        try (TinyServer s = new TinyServer((in, out) -> {
            in.read(new byte[1024]);
            out.write("SSH-2.0-nope\r\n".getBytes());
        })) {
            LoadResult r = run(s.address(), Protocol.HTTP_KEEPALIVE, 2, Duration.ofSeconds(2));
            assertEquals(0, r.requests());
            assertTrue(r.errors().badResponse() > 0, r.toString());
        }
    }

    @Test
    void nonSuccessStatusesAreBadResponses() throws Exception {
        try (TinyServer s = new TinyServer((in, out) -> {
            byte[] buf = new byte[1024];
            while (in.read(buf) > 0) {
                out.write("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n".getBytes());
                out.flush();
            }
        })) {
            LoadResult r = run(s.address(), Protocol.HTTP_KEEPALIVE, 2, Duration.ofSeconds(2));
            assertEquals(0, r.requests());
            assertTrue(r.errors().badResponse() > 10, r.toString());
            assertEquals(0, r.errors().reset() + r.errors().timeout() + r.errors().connect(), r.toString());
        }
    }

    @Test
    void aServerThatNeverAnswersGivesTimeouts() throws Exception {
        try (TinyServer s = new TinyServer((in, out) -> {
            while (in.read(new byte[1024]) >= 0) {
                // read and never answer
            }
        })) {
            LoadResult r = run(s.address(), Protocol.HTTP_KEEPALIVE, 2, Duration.ofMillis(100));
            assertEquals(0, r.requests());
            assertTrue(r.errors().timeout() >= 4, r.toString());
        }
    }

    @Test
    void resetsMidResponseAreCounted() throws Exception {
        try (TinyServer s = new TinyServer((in, out) -> {
            in.read(new byte[1024]);
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort".getBytes());
        })) {
            LoadResult r = run(s.address(), Protocol.HTTP_KEEPALIVE, 2, Duration.ofSeconds(2));
            assertEquals(0, r.requests());
            assertTrue(r.errors().reset() > 0, r.toString());
        }
    }
}

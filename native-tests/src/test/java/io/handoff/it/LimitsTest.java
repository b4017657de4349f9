package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timeouts, HTTP size limits and handler containment through the command line, against a real {@code handoff serve}
 * on real sockets; extended per model. One http server (short timeouts, small limits) serves the HTTP tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class LimitsTest {
    private static final byte[] GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    private final List<ServerProcess> started = new ArrayList<>();
    private ServerProcess http;

    /** The flags that pick the model. */
    abstract List<String> modelArgs();

    /** Whether the model runs user (blocking) handlers; the events model refuses them at start. */
    boolean runsUserHandlers() { return true; }

    private ServerProcess serve(String... args) throws Exception {
        List<String> all = new ArrayList<>(modelArgs());
        all.addAll(List.of(args));
        ServerProcess s = ServerProcess.serve(all.toArray(String[]::new));
        started.add(s);
        return s;
    }

    @BeforeAll
    void startHttp() throws Exception {
        // The idle timeout is well above the slow client's 300 ms between bytes, even if this JVM stalls a while.
        http = serve("--handler", "http", "--bind", "127.0.0.1:0", "--idle-timeout", "2", "--read-timeout", "1",
                "--max-header-bytes", "1024", "--max-body-bytes", "1000");
    }

    @AfterAll
    void stopServers() {
        for (ServerProcess s : started) {
            s.close();
            // Lands in surefire-reports/*-output.txt: the server's side of any failure.
            System.out.println("---- server pid=" + s.pid() + " log ----\n" + s.log());
        }
    }

    private static String readToEnd(Socket s) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) all.write(buf, 0, n);
        } catch (java.net.SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // a reset after the answer: what arrived before it counts
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    private static void assertRefused(String answer, int status, String reason) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " " + reason + "\r\n"), answer);
        assertTrue(answer.contains("\r\nConnection: close\r\n"), answer);
        assertTrue(answer.endsWith("\r\n\r\n" + status + " " + reason + "\n"), answer);
    }

    @Test
    void idleConnectionIsClosedWithoutAWord() throws Exception {
        try (Socket silent = Clients.tcp(http.port(0)); Socket once = Clients.tcp(http.port(0))) {
            once.getOutputStream().write(GET);
            assertEquals(200, Clients.readResponse(once.getInputStream()).status());
            assertEquals("", readToEnd(silent), "never spoke: closed after --idle-timeout, no 408");
            assertEquals("", readToEnd(once), "idle between requests: closed, no 408");
        }
    }

    /**
     * A request sent one byte every 300 ms never leaves its connection idle for 2 s, but is not whole within
     * --read-timeout 1: 408 and close. A well-behaved keep-alive client is served all along.
     */
    @Test
    void slowRequestGets408WhileAWellBehavedClientIsServed() throws Exception {
        AtomicInteger served = new AtomicInteger();
        try (Socket slow = Clients.tcp(http.port(0)); Socket good = Clients.tcp(http.port(0))) {
            OutputStream slowOut = slow.getOutputStream();
            OutputStream goodOut = good.getOutputStream();
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < GET.length && System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos(); i++) {
                    slowOut.write(GET[i]);
                    for (int k = 0; k < 3; k++) {
                        goodOut.write(GET);
                        assertEquals(200, Clients.readResponse(good.getInputStream()).status());
                        served.incrementAndGet();
                        Thread.sleep(100);
                    }
                    if (slow.getInputStream().available() > 0) break;
                }
            } catch (IOException e) {
                // the server closed the slow connection while we were still sending to it
            }
            assertRefused(readToEnd(slow), 408, "Request Timeout");
            goodOut.write(GET);
            assertEquals(200, Clients.readResponse(good.getInputStream()).status());
            assertTrue(served.get() >= 3, "served " + served);
        }
    }

    /**
     * A client that asks for a large file and then reads nothing holds a server write that cannot finish. After
     * --idle-timeout without the client taking a byte (nginx's send_timeout) the server gives up on it: its fds are
     * back to what they were while the client still holds its end, and the client gets the end of the stream (or a
     * reset) long before the file is out.
     */
    @Test
    void clientThatReadsNothingIsCutOffAfterTheIdleTimeout() throws Exception {
        Path root = java.nio.file.Files.createDirectories(tmp.resolve("www"));
        int size = 32 << 20; // more than every socket buffer between the two ends holds
        java.nio.file.Files.write(root.resolve("big.bin"), new byte[size]);
        ServerProcess s = serve("--handler", "http", "--bind", "127.0.0.1:0", "--root", root.toString(),
                "--idle-timeout", "1");
        byte[] get = "GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket warm = Clients.tcp(s.port(0))) { // opens what the server opens lazily for sending a file
            warm.getOutputStream().write(get);
            assertTrue(readToEnd(warm).length() > size, "the whole file, read at once");
        }
        java.util.Map<Long, Integer> before = Procs.steadyFdCounts(s);
        try (Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new java.net.InetSocketAddress("127.0.0.1", s.port(0)));
            stuck.getOutputStream().write(get);
            long total = before.values().stream().mapToLong(Integer::longValue).sum();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Procs.fdCounts(s).values().stream().mapToLong(Integer::longValue).sum() <= total
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // (If the server was faster than this loop, the check below holds at once, and the read tells.)
            Procs.awaitFdCountsAtMost(s, before, Duration.ofSeconds(20));
            stuck.setSoTimeout(10_000);
            int got = readToEnd(stuck).length();
            System.out.println("client that reads nothing: released by the server, then read " + got + " of "
                    + size + " bytes");
            assertTrue(got < size, "got " + got + " of " + size);
        }
    }

    @Test
    void oversizedBodyGets413WithoutBeingRead() throws Exception {
        try (Socket s = Clients.tcp(http.port(0))) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertRefused(readToEnd(s), 413, "Content Too Large");
        }
        try (Socket s = Clients.tcp(http.port(0))) {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3E8\r\n"
                    + "x".repeat(1000) + "\r\n1\r\n").getBytes(StandardCharsets.US_ASCII));
            assertRefused(readToEnd(s), 413, "Content Too Large");
        }
        try (Socket s = Clients.tcp(http.port(0))) {
            // At the limit: read, dropped, answered, and the connection stays.
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "b".repeat(1000))
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, Clients.readResponse(s.getInputStream()).status());
            s.getOutputStream().write(GET);
            assertEquals(200, Clients.readResponse(s.getInputStream()).status());
        }
    }

    @Test
    void oversizedHeaderGets431() throws Exception {
        try (Socket s = Clients.tcp(http.port(0))) {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: t\r\nCookie: " + "c".repeat(1100) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertRefused(readToEnd(s), 431, "Request Header Fields Too Large");
        }
    }

    /**
     * A user handler that throws, one that never returns and one that never closes its connection: each costs only
     * its own connection. The worker (fork: the same processes) and the other connections go on, the log names the
     * connection that failed, and at stop the blocked one is closed at --graceful-timeout.
     */
    @Test
    void misbehavingHandlersCostOnlyTheirOwnConnection() throws Exception {
        assumeTrue(runsUserHandlers(), "this model runs only the built-in handlers");
        Path jar = UserHandlerJar.misbehaving(tmp);
        ServerProcess s = serve("--handler", UserHandlerJar.MISBEHAVING, "--handler-classpath", jar.toString(),
                "--bind", "127.0.0.1:0", "--graceful-timeout", "1");
        List<Long> workers = s.workerPids();
        try (Socket blocked = Clients.tcp(s.port(0))) {
            blocked.getOutputStream().write("block\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("blocking\n", new String(blocked.getInputStream().readNBytes(9), StandardCharsets.US_ASCII));

            int throwerPort;
            try (Socket thrower = Clients.tcp(s.port(0))) {
                throwerPort = thrower.getLocalPort();
                thrower.getOutputStream().write("throw\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("", readToEnd(thrower), "closed by the engine after the handler threw");
            }
            s.awaitLog(l -> l.contains("handler failed client=/127.0.0.1:" + throwerPort + " ")
                    && l.contains("misbehaving on purpose"), Duration.ofSeconds(10));

            try (Socket leaver = Clients.tcp(s.port(0))) {
                leaver.getOutputStream().write("leave\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("left open\n", readToEnd(leaver), "closed by the engine when the handler returned");
            }
            for (int i = 0; i < 5; i++) {
                try (Socket ok = Clients.tcp(s.port(0))) {
                    ok.getOutputStream().write(("ping" + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    assertTrue(readToEnd(ok).startsWith("ping" + i + " pid="));
                }
            }
            assertEquals(workers, s.workerPids(), "no worker died or was replaced");

            s.signal("TERM");
            assertEquals("", readToEnd(blocked), "the blocked handler's client is let go at the graceful deadline");
            assertEquals(0, s.awaitExit(Duration.ofSeconds(30)), s.log());
            assertTrue(s.log().contains("closing connection still open at the graceful deadline client=/127.0.0.1:"
                    + blocked.getLocalPort()), s.log());
        }
    }
}

package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The NIO selector event loops: the whole model contract but the user handler, which this model refuses at start;
 * plus the draining and forced stop of keep-alive connections, and the status counters.
 */
class EventsModelTest extends ModelContractTest {
    private static final byte[] GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    List<String> modelArgs() { return List.of("--model", "events", "--event-loops", "2"); }

    /** A user handler is blocking code: refused before anything is bound, with status 2 and one line. */
    @Override
    @Test
    void servesAUserHandlerLoadedFromAJar() throws Exception {
        Path jar = UserHandlerJar.build(tmp);
        ServerProcess.Result r = ServerProcess.run(ServerProcess.START_TIMEOUT, "serve", "--model", "events",
                "--handler", UserHandlerJar.CLASS_NAME, "--handler-classpath", jar.toString(), "--bind", "127.0.0.1:0");
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.lines().size(), "exactly one line, got:\n" + r.output());
        assertTrue(r.output().contains("--model events runs the built-in handlers hello, echo, http, daytime, time; "
                + "a user handler needs fork, threads or virtual"), r.output());
        assertTrue(Files.exists(jar));
    }

    /** On SIGTERM a keep-alive connection is answered once more, with Connection: close, and the stop is graceful. */
    @Test
    void drainingKeepAliveConnectionGetsConnectionCloseOnItsNextResponse() throws Exception {
        ServerProcess s = serve("--handler", "http", "--bind", "127.0.0.1:0", "--graceful-timeout", "30");
        try (Socket sock = Clients.tcp(s.port(0))) {
            OutputStream out = sock.getOutputStream();
            InputStream in = sock.getInputStream();
            out.write(GET);
            assertEquals(null, Clients.readResponse(in).headers().get("Connection"));
            s.signal("TERM");
            s.awaitLog(l -> l.contains("stopping (SIGTERM)"), Duration.ofSeconds(10));
            Thread.sleep(200);
            out.write(GET);
            Clients.HttpResponse r = Clients.readResponse(in);
            assertEquals(200, r.status(), r.statusLine());
            assertEquals("close", r.headers().get("Connection"));
            assertEquals(-1, in.read(), "closed after the last answer");
        }
        assertEquals(0, s.awaitExit(Duration.ofSeconds(20)), s.log());
        assertTrue(s.log().contains("stopped gracefully"), s.log());
    }

    /** An idle keep-alive connection is closed at the --graceful-timeout deadline, and the log says it was forced. */
    @Test
    void idleConnectionsAreClosedAtTheGracefulDeadline() throws Exception {
        ServerProcess s = serve("--handler", "http", "--bind", "127.0.0.1:0", "--graceful-timeout", "1");
        try (Socket sock = Clients.tcp(s.port(0))) {
            sock.getOutputStream().write(GET);
            assertEquals(200, Clients.readResponse(sock.getInputStream()).status());
            long t0 = System.nanoTime();
            s.signal("TERM");
            assertEquals(0, s.awaitExit(Duration.ofSeconds(20)), s.log());
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= 900 && took < 10_000, "stopped after " + took + "ms");
            assertTrue(s.log().contains("stopped by force"), s.log());
            try {
                assertEquals(-1, sock.getInputStream().read(), "closed by the server");
            } catch (SocketTimeoutException e) {
                throw new AssertionError("connection still open after the stop", e);
            } catch (java.net.SocketException reset) {
                // closed by force: a reset is as good as an end of stream
            }
        }
    }

    /** ctl status counts open and served connections like the other in-process models; reload answers. */
    @Test
    void statusCountsConnectionsAndReloadLoadsTheHandlerAfresh() throws Exception {
        Path control = tmp.resolve("ctl.sock");
        ServerProcess s = serve("--handler", "http", "--bind", "127.0.0.1:0", "--control", control.toString());
        try (Socket a = Clients.tcp(s.port(0)); Socket b = Clients.tcp(s.port(0))) {
            for (Socket c : List.of(a, b)) {
                c.getOutputStream().write(GET);
                assertEquals(200, Clients.readResponse(c.getInputStream()).status());
            }
            Map<String, Object> status = Control.send(control, "status");
            assertEquals("events", status.get("model"), status.toString());
            assertEquals(2, ((Number) status.get("event_loops")).intValue(), status.toString());
            assertEquals(2, ((Number) status.get("open")).intValue(), status.toString());
        }
        Control.awaitStatus(control, x -> ((Number) x.get("open")).intValue() == 0
                && ((Number) x.get("served")).intValue() == 2, Duration.ofSeconds(10));
        Map<String, Object> reload = Control.send(control, "reload");
        assertEquals(true, reload.get("ok"), reload.toString());
        s.awaitLog(l -> l.contains("reload: handler http loaded afresh"), Duration.ofSeconds(10));
        assertEquals("hello\n", httpGet(s.port(0)));
    }

    private static String httpGet(int port) throws Exception {
        try (Socket sock = Clients.tcp(port)) {
            sock.getOutputStream().write(GET);
            return Clients.readResponse(sock.getInputStream()).body();
        }
    }
}

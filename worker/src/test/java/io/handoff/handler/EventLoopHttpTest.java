package io.handoff.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.handoff.engine.EventLoopEngine;
import io.handoff.handler.HttpTestSupport.Client;
import io.handoff.handler.HttpTestSupport.Response;
import io.handoff.handler.HttpTestSupport.Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Every HTTP handler test again, with the same handler served by the event-loop engine's state machine instead of a
 * blocking session; plus what only the event loop has to get right: answers held back while the socket is full.
 */
class EventLoopHttpTest extends HttpHandlerTest {
    @Override
    Server newServer(HttpHandler handler) throws IOException { return new Server(new EventLoopEngine(handler, 2)); }

    /**
     * Thousands of pipelined requests and a client that reads nothing until all are sent: the responses overflow the
     * socket, the session stops answering (and the loop stops reading) until they drain, and all arrive in order.
     */
    @Test
    void pipelinedBurstToASlowReaderIsAnsweredInOrder() throws Exception {
        try (Server server = newServer(new HttpHandler());
                Client c = server.client()) {
            // Megabytes of answers: far more than the kernel buffers hold while the client is not reading.
            int requests = 100_000;
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < requests; i++) all.append("GET /?").append(i).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
            byte[] bytes = all.toString().getBytes(StandardCharsets.US_ASCII);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    c.send(bytes);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300); // let the server fill the socket and stall
            for (int i = 0; i < requests; i++) {
                Response r = c.read();
                assertEquals(200, r.status(), "response " + i);
                assertEquals("hello\n", r.text());
            }
            writer.join(Duration.ofSeconds(10));
            assertEquals(404, c.send("GET /last HTTP/1.1\r\nHost: t\r\n\r\n").read().status(), "still in step");
        }
    }

    /** While draining, a keep-alive connection's next answer says Connection: close, and the connection ends. */
    @Test
    void drainingAnswersWithConnectionCloseThenCloses() throws Exception {
        EventLoopEngine engine = new EventLoopEngine(new HttpHandler(), 1);
        try (Server server = new Server(engine);
                Client c = server.client()) {
            assertEquals(null, c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().header("Connection"));
            Thread stopper = Thread.ofVirtual().start(() -> {
                try {
                    assertTrue(engine.shutdown(Duration.ofSeconds(10)), "stopped gracefully");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.sleep(200);
            Response r = c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertEquals("close", r.header("Connection"));
            assertEquals("hello\n", r.text());
            assertTrue(c.closedByServer());
            stopper.join(Duration.ofSeconds(10));
            assertEquals(0, engine.open());
        }
    }

    /** An idle keep-alive connection does not end by itself: at the deadline it is closed and the stop says so. */
    @Test
    void idleConnectionIsClosedAtTheDeadline() throws Exception {
        EventLoopEngine engine = new EventLoopEngine(new HttpHandler(), 1);
        try (Server server = new Server(engine);
                Client c = server.client()) {
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            assertEquals(1, engine.open());
            long t0 = System.nanoTime();
            assertEquals(false, engine.shutdown(Duration.ofMillis(300)), "forced");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos());
            assertTrue(c.closedByServer());
            assertEquals(0, engine.open());
            assertEquals(1, engine.served());
        }
    }
}

package io.handoff.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.handoff.engine.Engine;
import io.handoff.engine.VirtualThreadEngine;
import io.handoff.handler.HttpTestSupport.Client;
import io.handoff.handler.HttpTestSupport.Response;
import io.handoff.handler.HttpTestSupport.Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP handler's size limits, request bodies (Content-Length and chunked) and timeouts, served by an engine as in
 * production: here the blocking session on virtual threads; {@link EventLoopHttpLimitsTest} runs it all again on the
 * event loop.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpLimitsTest {
    static final String GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    /** Long enough never to trip in a test that is not about it, on however busy a machine. */
    static final Duration NEVER = Duration.ofSeconds(60);
    static final Timeouts NO_TIMEOUTS = new Timeouts(NEVER, NEVER);

    private final List<Server> servers = new ArrayList<>();

    Engine engine(HttpHandler handler, Timeouts timeouts) { return new VirtualThreadEngine(handler, timeouts); }

    private Server server(HttpLimits limits, Timeouts timeouts) throws IOException {
        Server s = new Server(engine(new HttpHandler(null, limits), timeouts));
        servers.add(s);
        return s;
    }

    private Server server(HttpLimits limits) throws IOException { return server(limits, NO_TIMEOUTS); }

    @AfterEach
    void stop() throws IOException {
        for (Server s : servers) s.close();
    }

    /** The whole error response, byte for byte but the date, and the close after it. */
    private static void assertRefusal(Client c, int status, String reason) throws IOException {
        String body = status + " " + reason + "\n";
        String expected = "HTTP/1.1 " + status + " " + reason + "\r\nServer: handoff\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\nDate: DATE\r\n\r\n" + body;
        String got = new String(c.readAll(), StandardCharsets.ISO_8859_1);
        String dated = got.replaceFirst("Date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT",
                "Date: DATE");
        assertEquals(expected, dated);
    }

    // ---- the head

    @Test
    void headAtTheLimitIsServedAndOneByteMoreIs431() throws Exception {
        Server server = server(new HttpLimits(512, 0));
        String start = "GET / HTTP/1.1\r\nHost: t\r\nX: ";
        String fits = start + "v".repeat(512 - start.length() - 4) + "\r\n\r\n";
        assertEquals(512, fits.length());
        try (Client c = server.client()) {
            assertEquals(200, c.send(fits).read().status());
        }
        try (Client c = server.client()) {
            c.send(start + "v".repeat(512 - start.length() - 3) + "\r\n\r\n");
            assertRefusal(c, 431, "Request Header Fields Too Large");
        }
        // Without waiting for the end of a header that is already too long.
        try (Client c = server.client()) {
            c.send(start + "v".repeat(600));
            assertRefusal(c, 431, "Request Header Fields Too Large");
        }
    }

    @Test
    void requestLineLongerThanTheWholeHeadIs414() throws Exception {
        Server server = server(new HttpLimits(512, 0));
        try (Client c = server.client()) {
            c.send("GET /" + "a".repeat(600));
            assertRefusal(c, 414, "URI Too Long");
        }
    }

    // ---- bodies

    @Test
    void contentLengthOverTheLimitIs413BeforeAnyOfTheBody() throws Exception {
        Server server = server(new HttpLimits(1024, 1000));
        try (Client c = server.client()) {
            // Keep-alive at the limit: the body is read and dropped, the connection goes on.
            c.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "b".repeat(1000) + GET);
            assertEquals(200, c.read().status());
            assertEquals(200, c.read().status());
        }
        try (Client c = server.client()) {
            // The body never comes: the answer must not wait for it.
            c.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
            assertRefusal(c, 413, "Content Too Large");
        }
    }

    @Test
    void chunkedBodyIsReadToItsEndAndDropped() throws Exception {
        Server server = server(new HttpLimits(1024, 1000));
        String chunked = "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n" + "1A;name=value;flag\r\n" + "x".repeat(26) + "\r\n" + "000\r\n"
                + "X-Trailer: yes\r\n\r\n";
        try (Client c = server.client()) {
            c.send(chunked + GET);
            assertEquals("hello\n", c.read().text());
            assertEquals("hello\n", c.read().text());
            // Byte by byte: every state of the decoder split across reads.
            for (byte b : (chunked + GET).getBytes(StandardCharsets.ISO_8859_1)) c.send(new byte[] {b});
            assertEquals(200, c.read().status());
            assertEquals(200, c.read().status());
        }
        try (Client c = server.client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip , Chunked\r\n\r\n0\r\n\r\n");
            assertRefusal(c, 501, "Not Implemented");
        }
    }

    @Test
    void chunkedBodyOverTheLimitIs413InsteadOfTheAnswer() throws Exception {
        Server server = server(new HttpLimits(1024, 1000));
        try (Client c = server.client()) {
            // The first chunk fits; the second takes the body over the limit. The answer held for the request is
            // taken back and 413 goes out instead, before the second chunk's data.
            c.send("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + "x".repeat(600)
                    + "\r\n191\r\n");
            assertRefusal(c, 413, "Content Too Large");
        }
    }

    @Test
    void ambiguousOrMalformedChunkedFramingIs400() throws Exception {
        Server server = server(new HttpLimits(1024, 1000));
        String te = "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: ";
        String[] bad = {
            te + "chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            te + "chunked, gzip\r\n\r\n0\r\n\r\n",
            te + "chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            te + "identity\r\n\r\n",
            te + "\r\n\r\n",
            te + "chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
            te + "chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n",
            te + "chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
            te + "chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
            te + "chunked\r\n\r\n5;a\u0001b\r\nhello\r\n0\r\n\r\n",
            te + "chunked\r\n\r\n0\r\n folded: no\r\n\r\n",
            te + "chunked\r\n\r\n0\r\n\n",
        };
        for (String request : bad) {
            try (Client c = server.client()) {
                Response r = c.send(request).read();
                assertEquals(400, r.status(), () -> request.replace("\r", "\\r").replace("\n", "\\n"));
                assertTrue(c.closedByServer());
            }
        }
        try (Client c = server.client()) {
            // Sixteen hex digits: more than any limit could allow, refused before the number could overflow.
            c.send(te + "chunked\r\n\r\n1000000000000000\r\n");
            assertRefusal(c, 413, "Content Too Large");
        }
    }

    @Test
    void expectContinueGets100BeforeTheBodyIsSent() throws Exception {
        Server server = server(new HttpLimits(1024, 1000));
        try (Client c = server.client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", c.line());
            assertEquals("", c.line());
            c.send("hello");
            assertEquals("hello\n", c.read().text());
        }
        try (Client c = server.client()) {
            // Too large: the final answer at once, no 100.
            c.send("GET / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
            assertRefusal(c, 413, "Content Too Large");
        }
    }

    /**
     * The connection's last request (Connection: close, or HTTP/1.0) is answered even when its body arrives after its
     * head was read: the answer held meanwhile must not be taken for one already sent.
     */
    @Test
    void lastRequestWithItsBodyInALaterReadIsAnswered() throws Exception {
        Server server = server(new HttpLimits(1024, 1000));
        String[] heads = {
            "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nExpect: 100-continue\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n",
        };
        String[] bodies = {"hello", "5\r\nhello\r\n0\r\n\r\n"};
        for (int i = 0; i < heads.length; i++) {
            try (Client c = server.client()) {
                // The 100 says the head has been read; the body comes in a read of its own.
                c.send(heads[i]);
                assertEquals("HTTP/1.1 100 Continue", c.line());
                assertEquals("", c.line());
                c.send(bodies[i]);
                Response r = c.read();
                assertEquals(200, r.status(), heads[i]);
                assertEquals("hello\n", r.text());
                assertTrue(c.closedByServer());
            }
        }
    }

    // ---- timeouts

    @Test
    void idleConnectionIsClosedSilently() throws Exception {
        // A second: far longer than this client takes to send, even on a machine busy enough to stall it a while.
        Server server = server(HttpLimits.DEFAULT, new Timeouts(Duration.ofSeconds(1), NEVER));
        try (Client silent = server.client(); Client once = server.client()) {
            assertEquals(200, once.send(GET).read().status());
            assertEquals(0, silent.readAll().length, "no bytes, not even a 408, for a connection that never spoke");
            assertEquals(0, once.readAll().length, "closed without a word between requests");
        }
    }

    @Test
    void requestTricklingInIs408AtTheReadTimeoutWhileOthersAreServed() throws Exception {
        Server server = server(HttpLimits.DEFAULT, new Timeouts(NEVER, Duration.ofMillis(500)));
        try (Client slow = server.client(); Client good = server.client()) {
            assertEquals(200, good.send(GET).read().status());
            // One byte every 50 ms: never idle, but the request is not whole within the read timeout.
            byte[] request = GET.getBytes(StandardCharsets.US_ASCII);
            long t0 = System.nanoTime();
            int sent = 0;
            try {
                for (; sent < request.length && System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos(); sent++) {
                    slow.send(new byte[] {request[sent]});
                    assertEquals(200, good.send(GET).read().status(), "others are served meanwhile");
                    Thread.sleep(50);
                    if (slow.socket().getInputStream().available() > 0) break;
                }
            } catch (IOException e) {
                // The server closed its side while we were still sending: the answer is in the stream anyway.
            }
            assertRefusal(slow, 408, "Request Timeout");
            assertEquals(200, good.send(GET).read().status());
        }
    }

    @Test
    void bodyThatStallsIs408NotTheAnswerHeldForIt() throws Exception {
        Server server = server(new HttpLimits(1024, 1000), new Timeouts(NEVER, Duration.ofMillis(300)));
        try (Client c = server.client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
            assertRefusal(c, 408, "Request Timeout");
        }
        try (Client c = server.client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
            assertRefusal(c, 408, "Request Timeout");
        }
    }

    @Test
    void timeoutsOffMeansAQuietClientIsNeverCutOff() throws Exception {
        Server server = server(HttpLimits.DEFAULT, Timeouts.NONE);
        try (Client c = server.client()) {
            c.send("GET / HT");
            c.socket().setSoTimeout(800);
            assertTrue(!c.closedByServer(), "still open");
            c.send("TP/1.1\r\nHost: t\r\n\r\n");
            c.socket().setSoTimeout(HttpTestSupport.TIMEOUT_MILLIS);
            assertEquals(200, c.read().status());
        }
    }

}

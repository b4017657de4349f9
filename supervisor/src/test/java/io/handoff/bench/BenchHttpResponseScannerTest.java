package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BenchHttpResponseScannerTest {
    private static final String HANDOFF = "HTTP/1.1 200 OK\r\nServer: handoff\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 6\r\nDate: Fri, 21 Nov 2025 10:00:00 GMT\r\nConnection: keep-alive\r\n\r\nhello\n";
    private static final String NGINX = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 21 Nov 2025 10:00:00 GMT"
            + "\r\nContent-Type: text/plain\r\ncontent-length: 6\r\nConnection: keep-alive\r\n\r\nhello\n";

    /** Feeds {@code bytes} in the given chunks; returns the statuses of the responses completed, in order. */
    private static List<Integer> feed(HttpResponseScanner s, byte[] bytes, int... cuts) {
        List<Integer> done = new ArrayList<>();
        int from = 0;
        int[] ends = new int[cuts.length + 1];
        System.arraycopy(cuts, 0, ends, 0, cuts.length);
        ends[cuts.length] = bytes.length;
        for (int end : ends) {
            ByteBuffer buf = ByteBuffer.wrap(bytes, from, end - from).slice();
            while (buf.hasRemaining()) {
                int r = s.scan(buf);
                if (r == HttpResponseScanner.ERROR) {
                    done.add(-1);
                    return done;
                }
                if (r == HttpResponseScanner.COMPLETE) done.add(s.status());
            }
            from = end;
        }
        return done;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(strings = {HANDOFF, NGINX})
    void aWholeResponseInOneBufferIsOneCompleteResponse(String response) {
        HttpResponseScanner s = new HttpResponseScanner();
        assertEquals(List.of(200), feed(s, ascii(response)));
        assertFalse(s.closeRequested());
    }

    @ParameterizedTest
    @ValueSource(strings = {HANDOFF, NGINX})
    void splitAtEveryByteBoundaryGivesTheSameAnswer(String response) {
        byte[] bytes = ascii(response);
        for (int cut = 0; cut <= bytes.length; cut++) {
            HttpResponseScanner s = new HttpResponseScanner();
            assertEquals(List.of(200), feed(s, bytes, cut), "cut at " + cut);
        }
    }

    @Test
    void oneByteAtATimeGivesTheSameAnswer() {
        byte[] bytes = ascii(HANDOFF);
        int[] cuts = new int[bytes.length - 1];
        for (int i = 0; i < cuts.length; i++) cuts[i] = i + 1;
        assertEquals(List.of(200), feed(new HttpResponseScanner(), bytes, cuts));
    }

    @Test
    void pipelinedResponsesAreFoundOneByOneAtEveryBoundary() {
        String three = HANDOFF + NGINX.replace("200 OK", "404 Not Found") + HANDOFF;
        byte[] bytes = ascii(three);
        for (int a = 0; a <= bytes.length; a += 7) {
            for (int b = a; b <= bytes.length; b += 13) {
                assertEquals(List.of(200, 404, 200), feed(new HttpResponseScanner(), bytes, a, b),
                        "cuts at " + a + ", " + b);
            }
        }
    }

    @Test
    void completeStopsRightAfterTheResponseSoPipelinedBytesStayInTheBuffer() {
        byte[] bytes = ascii(HANDOFF + HANDOFF);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        HttpResponseScanner s = new HttpResponseScanner();
        assertEquals(HttpResponseScanner.COMPLETE, s.scan(buf));
        assertEquals(HANDOFF.length(), buf.position());
        assertEquals(HttpResponseScanner.COMPLETE, s.scan(buf));
        assertFalse(buf.hasRemaining());
    }

    @Test
    void contentLengthDecidesWhereTheBodyEnds() {
        String body = "x".repeat(100_000);
        String r = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        byte[] bytes = ascii(r + HANDOFF);
        assertEquals(List.of(200, 200), feed(new HttpResponseScanner(), bytes, 10, 40, 5000, 70_000));
    }

    @Test
    void contentLengthIsCaseInsensitiveAndToleratesWhitespace() {
        String r = "HTTP/1.1 200 OK\r\nCONTENT-LENGTH:   3  \r\n\r\nabc";
        assertEquals(List.of(200), feed(new HttpResponseScanner(), ascii(r + r)).subList(0, 1));
        assertEquals(List.of(200, 200), feed(new HttpResponseScanner(), ascii(r + r)));
    }

    @Test
    void zeroContentLengthCompletesAtTheEndOfTheHead() {
        assertEquals(List.of(200), feed(new HttpResponseScanner(), ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")));
    }

    @Test
    void noContentAndNotModifiedHaveNoBody() {
        assertEquals(List.of(204, 304), feed(new HttpResponseScanner(),
                ascii("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")));
    }

    @Test
    void interimResponsesAreSkipped() {
        assertEquals(List.of(200), feed(new HttpResponseScanner(),
                ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
    }

    @Test
    void connectionCloseIsReported() {
        HttpResponseScanner s = new HttpResponseScanner();
        assertEquals(List.of(200), feed(s, ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection:  Close \r\n\r\nok")));
        assertTrue(s.closeRequested());
    }

    @Test
    void withoutALengthTheBodyRunsToEof() {
        HttpResponseScanner s = new HttpResponseScanner();
        assertEquals(List.of(), feed(s, ascii("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nsome body bytes")));
        assertEquals(HttpResponseScanner.COMPLETE, s.onEof());
        assertEquals(200, s.status());
        assertTrue(s.closeRequested());
    }

    @Test
    void eofBetweenResponsesIsCleanAndEofInsideOneIsAnError() {
        HttpResponseScanner s = new HttpResponseScanner();
        assertEquals(HttpResponseScanner.NEED_MORE, s.onEof());
        feed(s, ascii(HANDOFF));
        assertEquals(HttpResponseScanner.NEED_MORE, s.onEof());
        s.reset();
        feed(s, ascii(HANDOFF.substring(0, 30)));
        assertEquals(HttpResponseScanner.ERROR, s.onEof());
        s.reset();
        feed(s, ascii(HANDOFF.substring(0, HANDOFF.length() - 1)));
        assertEquals(HttpResponseScanner.ERROR, s.onEof());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTX/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\rX",
        "SSH-2.0-OpenSSH_9.2\r\n",
    })
    void garbageAndUnsupportedFramingAreErrors(String response) {
        List<Integer> got = feed(new HttpResponseScanner(), ascii(response));
        assertEquals(List.of(-1), got, response);
    }

    @Test
    void anOverlongVersionIsAnErrorWhereverTheReadEnds() {
        byte[] bytes = ascii("HTTP/1.1111111111 200 OK\r\nContent-Length: 0\r\n\r\n");
        for (int cut = 0; cut <= bytes.length; cut++) {
            assertEquals(List.of(-1), feed(new HttpResponseScanner(), bytes, cut), "cut at " + cut);
        }
    }

    @Test
    void aHugeHeadIsAnError() {
        String r = "HTTP/1.1 200 OK\r\nX-Big: " + "y".repeat(HttpResponseScanner.MAX_HEAD) + "\r\n\r\n";
        assertEquals(List.of(-1), feed(new HttpResponseScanner(), ascii(r)));
    }

    @Test
    void repeatedEqualContentLengthsAreFine() {
        assertEquals(List.of(200), feed(new HttpResponseScanner(),
                ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")));
    }

    @Test
    void scansArraysBetweenOffsets() {
        byte[] bytes = ascii("garbage" + HANDOFF + HANDOFF);
        HttpResponseScanner s = new HttpResponseScanner();
        assertEquals(HttpResponseScanner.COMPLETE, s.scan(bytes, 7, bytes.length));
        assertEquals(7 + HANDOFF.length(), s.position());
        assertEquals(HttpResponseScanner.NEED_MORE, s.scan(bytes, s.position(), s.position() + 20));
        assertEquals(HttpResponseScanner.COMPLETE, s.scan(bytes, s.position(), bytes.length));
        assertEquals(bytes.length, s.position());
    }

    @Test
    void directBuffersAreRefusedRatherThanCopiedPerCall() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new HttpResponseScanner().scan(ByteBuffer.allocateDirect(4)));
    }

    @Test
    void resetForgetsAHalfReadResponse() {
        HttpResponseScanner s = new HttpResponseScanner();
        feed(s, ascii(HANDOFF.substring(0, 40)));
        s.reset();
        assertEquals(List.of(200), feed(s, ascii(HANDOFF)));
    }
}

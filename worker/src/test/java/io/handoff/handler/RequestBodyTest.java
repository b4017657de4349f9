package io.handoff.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Request body framing in the parser and the body decoder, without sockets. */
class RequestBodyTest {
    private static final String HEAD = "GET / HTTP/1.1\r\nHost: t\r\n";

    private static HttpRequestParser parse(String head, HttpLimits limits) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        HttpRequestParser p = new HttpRequestParser(limits);
        HttpRequestParser.Outcome o = p.parse(b, 0, b.length);
        if (o == HttpRequestParser.Outcome.NEED_MORE) throw new AssertionError("undecided: " + head);
        return p;
    }

    private static int status(String head, HttpLimits limits) {
        HttpRequestParser p = parse(head, limits);
        return p.errorStatus() == 0 ? 200 : p.errorStatus();
    }

    @Test
    void framingIsDecidedByTheHead() {
        HttpLimits limits = new HttpLimits(1024, 100);
        assertEquals(200, status(HEAD + "Content-Length: 100\r\n\r\n", limits));
        assertEquals(413, status(HEAD + "Content-Length: 101\r\n\r\n", limits));
        assertEquals(200, status(HEAD + "Content-Length: 99999\r\n\r\n", new HttpLimits(1024, 0)));
        assertEquals(200, status(HEAD + "Transfer-Encoding: chunked\r\n\r\n", limits));
        assertEquals(200, status(HEAD + "Transfer-Encoding: CHUNKED\r\n\r\n", limits));
        assertEquals(200, status(HEAD + "Transfer-Encoding: ,chunked ,\r\n\r\n", limits));
        assertEquals(501, status(HEAD + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", limits));
        assertEquals(501, status(HEAD + "Transfer-Encoding: x;q=1, chunked\r\n\r\n", limits));
        assertEquals(400, status(HEAD + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", limits));
        assertEquals(400, status(HEAD + "Transfer-Encoding: chunked x\r\n\r\n", limits));
        assertEquals(400, status(HEAD + "Transfer-Encoding: ;x\r\n\r\n", limits));
        assertEquals(400, status(HEAD + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", limits));
        HttpRequestParser p = parse(HEAD + "expect: 100-Continue\r\nContent-Length: 3\r\n\r\n", limits);
        assertTrue(p.expectContinue() && p.hasBody() && !p.chunked());
        assertFalse(parse("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", limits).expectContinue());
    }

    /** The decoder's answer for {@code body} fed in pieces of {@code step} bytes; what it consumed in total. */
    private static int[] decode(String body, long maxBody, int step) {
        RequestBody rb = new RequestBody(maxBody, 64);
        rb.start(parse(HEAD + "Transfer-Encoding: chunked\r\n\r\n", new HttpLimits(1024, maxBody)));
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        int consumed = 0;
        for (int from = 0; from < b.length && !rb.done() && rb.errorStatus() == 0; from += step) {
            int to = Math.min(b.length, from + step);
            int n = rb.consume(b, from, to);
            consumed += n;
            if (n < to - from) break;
        }
        return new int[] {rb.done() ? 200 : rb.errorStatus() != 0 ? rb.errorStatus() : 0, consumed};
    }

    @Test
    void chunkedBodyEndsExactlyAtItsLastCrlfHoweverItIsSplit() {
        String body = "3\r\nabc\r\n00A ; ext = \"v\"\r\n0123456789\r\n0\r\nTrailer: x\r\nOther: y\r\n\r\n";
        for (int step = 1; step <= body.length(); step++) {
            int[] r = decode(body + "GET / HTTP/1.1", 13, step);
            assertEquals(200, r[0], "step " + step);
            assertEquals(body.length(), r[1], "consumed up to the end of the body, step " + step);
        }
        assertEquals(413, decode(body, 12, 1)[0], "13 bytes of chunks against a limit of 12");
        assertEquals(0, decode("5\r\nab", 100, 1)[0], "incomplete: neither done nor failed");
    }

    @Test
    void chunkLinesAndTrailersAreBounded() {
        assertEquals(400, decode("1;" + "e".repeat(80) + "\r\nx\r\n0\r\n\r\n", 0, 7)[0]);
        assertEquals(431, decode("0\r\nT: " + "t".repeat(80) + "\r\n\r\n", 0, 7)[0]);
        assertEquals(200, decode("0000000000000000000001\r\nx\r\n0\r\n\r\n", 0, 3)[0], "leading zeros are free");
        assertEquals(413, decode("1000000000000000\r\n", 0, 3)[0]);
    }

    /** The limit is on the chunk line without its CRLF, whatever the line ends with. */
    @Test
    void aChunkLineMayHaveExactlyTheLimitBeforeItsCrlf() {
        String size = "0".repeat(63) + "1";
        String ext = "1;" + "e".repeat(62);
        for (int step : new int[] {1, 5, 200}) {
            assertEquals(200, decode(size + "\r\nx\r\n0\r\n\r\n", 0, step)[0], "64 bytes of size, step " + step);
            assertEquals(200, decode(ext + "\r\nx\r\n0\r\n\r\n", 0, step)[0], "64 bytes with an extension");
            assertEquals(200, decode("1" + " ".repeat(63) + "\r\nx\r\n0\r\n\r\n", 0, step)[0], "64 with BWS");
            assertEquals(400, decode("0" + size + "\r\nx\r\n0\r\n\r\n", 0, step)[0]);
            assertEquals(400, decode(ext + "e\r\nx\r\n0\r\n\r\n", 0, step)[0]);
        }
    }

    /** Trailer lines are discarded, but only after passing as field lines, as header lines must (RFC 9112 5.1). */
    @Test
    void trailerLinesAreFieldLines() {
        assertEquals(200, decode("0\r\nX-T: v\r\nE:\r\n\r\n", 0, 1)[0]);
        assertEquals(400, decode("0\r\nX-T : v\r\n\r\n", 0, 1)[0], "whitespace before the colon");
        assertEquals(400, decode("0\r\nno colon\r\n\r\n", 0, 1)[0]);
        assertEquals(400, decode("0\r\nnocolon\r\n\r\n", 0, 1)[0]);
        assertEquals(400, decode("0\r\n: v\r\n\r\n", 0, 1)[0], "no name");
        assertEquals(400, decode("0\r\nX(T): v\r\n\r\n", 0, 1)[0], "not a token");
    }
}

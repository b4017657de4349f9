package io.handoff.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz tests of the HTTP request parser and of the event-loop session around it. In the normal build each runs as a
 * regression test over the empty input and the files in {@code HttpRequestParserFuzzTestInputs/} (Jazzer's
 * convention); with {@code JAZZER_FUZZ=1} ({@code scripts/fuzz-http}) Jazzer mutates inputs guided by coverage, and
 * what it finds lands in that directory.
 *
 * <p>An input is the bytes a client sends. How the reads split it is derived from the input itself, so a finding
 * replays exactly. The per-input {@link Timeout} is Jazzer's hang detector while fuzzing.
 */
class HttpRequestParserFuzzTest {
    private static final Set<Integer> ERROR_STATUSES = Set.of(400, 405, 413, 414, 431, 501, 505);
    /** The event loop reads at most this much at a time. */
    private static final int LOOP_READ = 64 * 1024;
    /**
     * Every input is tried against each: the defaults, and limits small enough for short inputs to reach them (head,
     * chunk line and trailer bounds, 413 for a body) and no body limit at all.
     */
    private static final List<HttpLimits> LIMITS = List.of(HttpLimits.DEFAULT,
            new HttpLimits(HttpLimits.MIN_HEADER_BYTES, 100), new HttpLimits(2 * HttpLimits.MIN_HEADER_BYTES, 0));
    private static final String CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

    /**
     * Request syntax for the mutator to splice in (libFuzzer's dictionary syntax: bytes as \\xNN), and a per-input
     * time limit that Jazzer reports as a hang.
     */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @DictionaryEntries({"GET ", "HEAD ", "POST ", "OPTIONS ", " HTTP/1.1\\x0D\\x0A", " HTTP/1.0\\x0D\\x0A", " HTTP/2.0",
        "/", "?", "#", "http://", "https://", "\\x0D\\x0A", "\\x0D\\x0A\\x0D\\x0A", "\\x0A", "Host: ", "Connection: ",
        "close", "keep-alive", "Content-Length: ", "Transfer-Encoding: chunked", "Expect: 100-continue", ": ", " ",
        "\\x09", ";", "0\\x0D\\x0A\\x0D\\x0A", "100000", "FFFF"})
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    @FuzzTest(maxDuration = "60s")
    @interface HttpFuzzTest {}

    /**
     * The parser never throws; every outcome is within bounds; a buffer of {@link HttpRequestParser#decidingBufferSize}
     * bytes always reaches an outcome; and the requests it finds, and how it ends, do not depend on how the input is
     * split across reads or moved around in the caller's buffer between them.
     */
    @HttpFuzzTest
    void parserOutcomeDoesNotDependOnReadBoundaries(byte[] input) {
        for (HttpLimits limits : LIMITS) {
            Trace whole = parse(input, Splits.whole(), limits);
            Trace bytewise = parse(input, Splits.bytewise(), limits);
            Trace random = parse(input, Splits.random(input), limits);
            assertConsistent(whole, bytewise, "one byte per read, " + limits);
            assertConsistent(whole, random, "random reads and moves, " + limits);
        }
    }

    /**
     * The event-loop session answers exactly the requests the parser finds and the body model frames, in order, with
     * the right status and Connection header: a 100 Continue first where the client waits for one, each answer only
     * once its request's body is all in, the body's error instead where the body breaks. It stops after the last
     * answer (an error or Connection: close), and holds up when the socket takes its output only in part. When the
     * input ends and the client says nothing more, the timeout answers 408 in the middle of a request, and otherwise
     * closes silently. The input arrives in reads as a fast client's (mostly all there is, now and then a few bytes)
     * and as a slow one's (a few bytes at a time, so heads and bodies split across reads).
     */
    @HttpFuzzTest
    void eventSessionAnswersWhatTheParserFinds(byte[] input) throws IOException {
        SplittableRandom rnd = new SplittableRandom(Arrays.hashCode(input));
        for (HttpLimits limits : LIMITS) {
            for (boolean slow : new boolean[] {false, true}) {
                answersAsModelled(input, limits, slow, rnd);
            }
        }
    }

    private static void answersAsModelled(byte[] input, HttpLimits limits, boolean slow, SplittableRandom rnd)
            throws IOException {
        Trace expected = parse(input, Splits.whole(), limits);
        FakeConnection c = new FakeConnection(rnd);
        HttpEventSession session = new HttpEventSession(null, limits);
        int pos = 0;
        while (pos < input.length && !c.closed) {
            int bound = slow || rnd.nextBoolean() ? 16 : LOOP_READ;
            int n = Math.min(input.length - pos, 1 + rnd.nextInt(bound));
            session.read(c, ByteBuffer.wrap(input, pos, n));
            pos += n;
            // As the loop does: nothing more is read while output is kept; drained() once it is out.
            for (int rounds = 0; c.kept && !c.closed; rounds++) {
                assertTrue(rounds < 10_000, "session never drains");
                c.kept = false;
                session.drained(c);
            }
        }
        String where = limits + (slow ? ", slow reads: " : ": ");
        int answered = assertAnswers(expected, c.written.toByteArray(), c.closed, where);
        if (!c.closed) {
            // The client sends nothing more, and the loop's timeout fires: unanswered bytes (stray CRLFs
            // included) or a body still owed make it a request that timed out.
            session.timedOut(c);
            byte[] out = c.written.toByteArray();
            int end = expected.inRequest() ? expectResponse(out, answered, Set.of(408), true, false, where)
                    : answered;
            assertEquals(out.length, end, where + "after the timeout: " + latin1(out, answered, out.length));
            assertTrue(c.closed, where + "closed on the timeout");
        }
        session.closed(c);
    }

    // ---- the parser, driven as a session drives it

    /** @param expects100 the client waits for 100 (Continue) before it sends the body that follows */
    record Request(HttpRequestParser.Method method, String target, String path, int minor, boolean keepAlive,
            long contentLength, boolean chunked, boolean expects100, int consumed) {}

    /**
     * The requests completed, head and body, in order; how the input ended: NEED_MORE (incomplete) or ERROR with a
     * status; and in the middle of which request. {@code pending} is the request whose head is complete and whose
     * body is not: still arriving (NEED_MORE) or broken (ERROR, the body's status). {@code inRequest}: some of a
     * request had arrived when the input ended, or it ended in an error.
     */
    record Trace(List<Request> requests, Request pending, HttpRequestParser.Outcome end, int status,
            boolean inRequest) {}

    /**
     * Feeds {@code input} to one parser as the sessions do: the unconsumed bytes, with whatever arrived since; a
     * completed request is consumed and its body, as {@link Body#of} frames it, skipped before the next.
     */
    static Trace parse(byte[] input, Splits splits, HttpLimits limits) {
        HttpRequestParser p = new HttpRequestParser(limits);
        Window w = new Window(input, splits);
        List<Request> requests = new ArrayList<>();
        long skip = 0;
        w.reveal();
        for (int calls = 0; ; calls++) {
            // Each call either consumes, reveals, or ends: bounded by the input's length.
            assertTrue(calls <= 3 * input.length + 3, "parser loops without progress");
            if (skip > 0) {
                int take = (int) Math.min(skip, w.length());
                w.consume(take);
                skip -= take;
                if (skip > 0) {
                    assertTrue(w.reveal(), "a complete body ends within the input");
                    continue;
                }
            }
            int from = w.off;
            int to = w.off + w.length();
            HttpRequestParser.Outcome outcome;
            try {
                outcome = p.parse(w.buf, from, to);
            } catch (RuntimeException e) {
                throw new AssertionError("parser threw on " + w.length() + " bytes", e);
            }
            switch (outcome) {
                case COMPLETE -> {
                    Request r = checkComplete(p, w.buf, from, to, limits);
                    w.consume(p.consumed());
                    p.reset();
                    Body body = Body.of(input, w.position(), r, limits);
                    if (body.status() != 0) {
                        return new Trace(requests, r, HttpRequestParser.Outcome.ERROR, body.status(), true);
                    }
                    if (body.incomplete()) return new Trace(requests, r, HttpRequestParser.Outcome.NEED_MORE, 0, true);
                    requests.add(r);
                    skip = body.end() - w.position();
                }
                case ERROR -> {
                    int status = p.errorStatus();
                    assertTrue(ERROR_STATUSES.contains(status), "error status " + status);
                    assertEquals(HttpRequestParser.Outcome.ERROR, p.parse(w.buf, from, to), "an error sticks");
                    return new Trace(requests, null, outcome, status, true);
                }
                case NEED_MORE -> {
                    // The sessions size their buffers on this: a full one always has an outcome.
                    assertTrue(to - from < p.decidingBufferSize(), "NEED_MORE with " + (to - from) + " bytes");
                    if (!w.reveal()) return new Trace(requests, null, outcome, 0, w.length() > 0);
                    w.maybeMove();
                }
            }
        }
    }

    private static Request checkComplete(HttpRequestParser p, byte[] b, int from, int to, HttpLimits limits) {
        int consumed = p.consumed();
        assertTrue(consumed > 0 && consumed <= to - from, "consumed " + consumed + " of " + (to - from));
        assertEquals('\n', b[from + consumed - 1], "a head ends with its empty line");
        assertNotNull(p.method());
        assertTrue(p.minorVersion() == 0 || p.minorVersion() == 1, "minor " + p.minorVersion());
        int ts = p.targetStart();
        int te = p.targetEnd();
        int ps = p.pathStart();
        int pe = p.pathEnd();
        assertTrue(from <= ts && ts < te && te <= from + consumed, "target " + ts + ".." + te);
        assertTrue(ts <= ps && ps <= pe && pe <= te, "path " + ps + ".." + pe + " in target " + ts + ".." + te);
        assertTrue(p.contentLength() >= 0);
        // A body too large is refused from its head, before any of it is read.
        long maxBody = limits.maxBodyBytes();
        assertTrue(maxBody == 0 || p.contentLength() <= maxBody, "Content-Length " + p.contentLength());
        // One framing, never two to choose from; and no transfer coding in HTTP/1.0 (RFC 9112 6.1, 6.3).
        assertFalse(p.chunked() && (p.contentLength() > 0 || p.minorVersion() == 0), "chunked and more");
        assertEquals(p.chunked() || p.contentLength() > 0, p.hasBody());
        assertEquals(0, p.errorStatus());
        return new Request(p.method(), latin1(b, ts, te), latin1(b, ps, pe), p.minorVersion(), p.keepAlive(),
                p.contentLength(), p.chunked(), p.hasBody() && p.expectContinue(), consumed);
    }

    /**
     * Where a request's body ends, decided from the whole input at once: the reference that the sessions' decoding,
     * byte by byte across reads ({@link RequestBody}), is held to.
     *
     * @param end    just past the body, or -1
     * @param status 0, or the error answered instead of the request (then nothing after it is read)
     */
    record Body(long end, int status) {
        static final Body INCOMPLETE = new Body(-1, 0);

        /** The input ends before the body does, and nothing is wrong with it so far. */
        boolean incomplete() { return end < 0 && status == 0; }

        static Body error(int status) { return new Body(-1, status); }

        /** The body of request {@code r}, from {@code in[at]} on (RFC 9112 6.3). */
        static Body of(byte[] in, int at, Request r, HttpLimits limits) {
            if (r.chunked()) return chunked(in, at, limits);
            long end = at + r.contentLength();
            return end <= in.length ? new Body(end, 0) : INCOMPLETE;
        }

        /**
         * The chunked transfer coding (RFC 9112 7.1), as strictly as the sessions take it: every line ends in CRLF;
         * a chunk size is hex digits, of which at most 15 count (leading zeros are free: more would be over any
         * limit, 413); then optional whitespace and, after a ';', extensions, which mean nothing to us and are only
         * kept free of control characters. A chunk line has at most {@code maxHeaderBytes} before its CRLF (400);
         * the sizes add up to at most {@code maxBodyBytes} (413, as soon as a size line takes the sum over). Trailer
         * lines are field lines (name, colon, value without controls), together at most {@code maxHeaderBytes}
         * with their CRLFs (431). An error is the first one in the order of the bytes, since the sessions read no
         * further.
         */
        static Body chunked(byte[] in, int at, HttpLimits limits) {
            int n = in.length;
            int maxLine = limits.maxHeaderBytes();
            long maxBody = limits.maxBodyBytes();
            long total = 0;
            int p = at;
            for (;;) {
                int digits = p;
                while (digits < n && hex(in[digits]) >= 0) digits++;
                int significant = p;
                while (significant < digits && in[significant] == '0') significant++;
                // The line's CR, or the first byte that cannot be in it, or the end of the input.
                int e = digits;
                if (digits > p) {
                    while (e < n && (in[e] == ' ' || in[e] == '\t')) e++;
                    if (e < n && in[e] == ';') {
                        e++;
                        while (e < n && !control(in[e])) e++;
                    }
                }
                if (digits - significant > 15 && significant + 15 - p < maxLine) return error(413);
                if (e - p > maxLine) return error(400);
                if (e == n) return INCOMPLETE;
                if (digits == p || in[e] != '\r') return error(400);
                if (e + 1 == n) return INCOMPLETE;
                if (in[e + 1] != '\n') return error(400);
                long size = 0;
                for (int i = significant; i < digits; i++) size = size << 4 | hex(in[i]);
                p = e + 2;
                if (size == 0) break;
                if (maxBody > 0 && total + size > maxBody) return error(413);
                total += size;
                long crlf = p + size;
                if (crlf >= n) return INCOMPLETE;
                if (in[(int) crlf] != '\r') return error(400);
                if (crlf + 1 == n) return INCOMPLETE;
                if (in[(int) crlf + 1] != '\n') return error(400);
                p = (int) crlf + 2;
            }
            int section = p;
            for (;;) {
                if (p == n) return INCOMPLETE;
                if (in[p] == '\r') {
                    if (p + 1 == n) return INCOMPLETE;
                    return in[p + 1] == '\n' ? new Body(p + 2, 0) : error(400);
                }
                int name = p;
                while (name < n && tchar(in[name])) name++;
                // Just past the line's LF, or the first byte that cannot be in it, or the end of the input.
                int e = name;
                boolean whole = false;
                if (name > p && name < n && in[name] == ':') {
                    e = name + 1;
                    while (e < n && !control(in[e])) e++;
                    if (e < n && in[e] == '\r') {
                        e++;
                        if (e < n && in[e] == '\n') {
                            e++;
                            whole = true;
                        }
                    }
                }
                if (e - section > maxLine) return error(431);
                if (!whole) return e == n ? INCOMPLETE : error(400);
                p = e;
            }
        }

        private static int hex(byte b) {
            int c = b & 0xff;
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static boolean control(byte b) {
            int c = b & 0xff;
            return (c < 0x20 && c != '\t') || c == 0x7f;
        }

        private static boolean tchar(byte b) {
            int c = b & 0xff;
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (c < 0x80 && "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
        }
    }

    /**
     * Splitting may only make a size limit (414 / 431) trip at a read boundary, before the whole input's parse gets
     * to a different error further on; everything else must be the same.
     */
    private static void assertConsistent(Trace whole, Trace split, String how) {
        assertEquals(whole.requests(), split.requests(), how);
        assertEquals(whole.pending(), split.pending(), how);
        assertEquals(whole.end(), split.end(), how + ": " + whole + " vs " + split);
        assertEquals(whole.inRequest(), split.inRequest(), how + ": " + whole + " vs " + split);
        if (whole.status() != split.status()) {
            assertTrue(whole.pending() == null && (split.status() == 414 || split.status() == 431),
                    how + ": " + whole + " vs " + split);
        }
    }

    /** Where each read ends. */
    interface Splits {
        /** The size of the next read, 1..remaining. */
        int next(int remaining);

        /** Whether to move the unconsumed bytes elsewhere before the next call. */
        default boolean move() { return false; }

        static Splits whole() { return remaining -> remaining; }

        static Splits bytewise() { return remaining -> 1; }

        static Splits random(byte[] input) {
            SplittableRandom rnd = new SplittableRandom(Arrays.hashCode(input) * 31L + input.length);
            return new Splits() {
                @Override
                public int next(int remaining) {
                    int bound = switch (rnd.nextInt(4)) {
                        case 0 -> 1;
                        case 1 -> 8;
                        case 2 -> 512;
                        default -> LOOP_READ;
                    };
                    return Math.min(remaining, 1 + rnd.nextInt(bound));
                }

                @Override
                public boolean move() { return rnd.nextInt(8) == 0; }
            };
        }
    }

    /**
     * The caller's buffer: {@code buf[off, off + length())} holds {@code input[pos, avail)}. Bytes outside that range
     * are noise, so a parser that looked past its window would see garbage.
     */
    private static final class Window {
        private final byte[] input;
        private final Splits splits;
        private final SplittableRandom noise;
        byte[] buf = new byte[0];
        int off;
        private int pos;
        private int avail;

        Window(byte[] input, Splits splits) {
            this.input = input;
            this.splits = splits;
            this.noise = new SplittableRandom(input.length);
        }

        int length() { return avail - pos; }

        /** Where in the input the unconsumed bytes start. */
        int position() { return pos; }

        void consume(int n) {
            pos += n;
            off += n;
        }

        /** Appends the next read. @return false at the end of the input */
        boolean reveal() {
            if (avail == input.length) return false;
            int n = splits.next(input.length - avail);
            if (off + length() + n > buf.length) moveTo(length() + n);
            System.arraycopy(input, avail, buf, off + length(), n);
            avail += n;
            return true;
        }

        void maybeMove() {
            if (splits.move()) moveTo(0);
        }

        /** Copies the unconsumed bytes to a new buffer at a new offset, with room for {@code room} bytes. */
        private void moveTo(int room) {
            int capacity = Math.max(room, length()) + Math.max(64, length());
            byte[] moved = new byte[capacity + 16];
            for (int i = 0; i < moved.length; i++) moved[i] = (byte) noise.nextInt(256);
            int at = noise.nextInt(17);
            System.arraycopy(buf, off, moved, at, length());
            buf = moved;
            off = at;
        }
    }

    // ---- the session's answers

    /** Checks the answers to the input; returns how many bytes they take. */
    private static int assertAnswers(Trace expected, byte[] output, boolean closed, String where) {
        int at = 0;
        boolean last = false;
        for (Request r : expected.requests()) {
            if (r.expects100()) at = expectContinue(output, at, where);
            int status = r.path().isEmpty() || r.path().equals("/") ? 200 : 404;
            boolean head = r.method() == HttpRequestParser.Method.HEAD;
            at = expectResponse(output, at, Set.of(status), !r.keepAlive(), head, where);
            if (!r.keepAlive()) {
                last = true;
                break;
            }
        }
        if (!last) {
            Request pending = expected.pending();
            // Sent as soon as the head is in; the answer itself waits for the body, and is dropped if that breaks.
            if (pending != null && pending.expects100()) at = expectContinue(output, at, where);
            if (expected.end() == HttpRequestParser.Outcome.ERROR) {
                // The session reads in pieces, so a head's size limit may trip at a read boundary first (see
                // assertConsistent); a body's errors do not depend on the reads.
                Set<Integer> statuses = pending != null ? Set.of(expected.status())
                        : new java.util.HashSet<>(List.of(expected.status(), 414, 431));
                at = expectResponse(output, at, statuses, true, false, where);
                last = true;
            }
        }
        assertEquals(output.length, at,
                where + "bytes after the expected answers: " + latin1(output, at, output.length));
        assertEquals(last, closed, where + "closed after the last answer, and only then");
        return at;
    }

    /** Checks for a 100 (Continue) at {@code at}; returns where the next response starts. */
    private static int expectContinue(byte[] out, int at, String where) {
        assertEquals(CONTINUE, latin1(out, at, Math.min(out.length, at + CONTINUE.length())), where + "at " + at);
        return at + CONTINUE.length();
    }

    /** Checks one response at {@code at}; returns where the next starts. */
    private static int expectResponse(byte[] out, int at, Set<Integer> statuses, boolean close, boolean head,
            String where) {
        String text = new String(out, at, out.length - at, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) fail(where + "expected a " + statuses + " response at " + at + ", have: " + text);
        String responseHead = text.substring(0, headEnd + 2);
        assertTrue(responseHead.length() > 12 && responseHead.startsWith("HTTP/1.1 ")
                && statuses.contains(Integer.parseInt(responseHead.substring(9, 12))),
                where + "expected " + statuses + ": " + responseHead);
        assertEquals(close, responseHead.contains("\r\nConnection: close\r\n"), where + responseHead);
        int cl = responseHead.indexOf("\r\nContent-Length: ");
        assertTrue(cl >= 0, where + responseHead);
        int length = Integer.parseInt(responseHead.substring(cl + 18, responseHead.indexOf("\r\n", cl + 2)));
        return at + headEnd + 4 + (head ? 0 : length);
    }

    /** Takes everything; now and then reports the socket full, so the session must wait for drained(). */
    private static final class FakeConnection implements EventConnection {
        private final SplittableRandom rnd;
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        boolean kept;
        boolean closed;

        FakeConnection(SplittableRandom rnd) { this.rnd = rnd; }

        @Override
        public SocketAddress remoteAddress() { return new InetSocketAddress(InetAddress.getLoopbackAddress(), 1); }

        @Override
        public boolean isDraining() { return false; }

        @Override
        public boolean write(ByteBuffer src) {
            assertFalse(closed, "write after close");
            byte[] bytes = new byte[src.remaining()];
            src.get(bytes);
            written.writeBytes(bytes);
            if (rnd.nextInt(4) == 0) kept = true;
            return !kept;
        }

        @Override
        public long transfer(FileChannel file, long position, long count) {
            throw new AssertionError("no files without a root");
        }

        @Override
        public void beginRequest() {}

        @Override
        public void endRequest() {}

        @Override
        public void close() { closed = true; }
    }

    private static String latin1(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }
}

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
    private static final Set<Integer> ERROR_STATUSES = Set.of(400, 405, 414, 431, 501, 505);
    /** The event loop reads at most this much at a time. */
    private static final int LOOP_READ = 64 * 1024;

    /**
     * Request syntax for the mutator to splice in (libFuzzer's dictionary syntax: bytes as \\xNN), and a per-input
     * time limit that Jazzer reports as a hang.
     */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @DictionaryEntries({"GET ", "HEAD ", "POST ", "OPTIONS ", " HTTP/1.1\\x0D\\x0A", " HTTP/1.0\\x0D\\x0A", " HTTP/2.0",
        "/", "?", "#", "http://", "https://", "\\x0D\\x0A", "\\x0D\\x0A\\x0D\\x0A", "\\x0A", "Host: ", "Connection: ",
        "close", "keep-alive", "Content-Length: ", "Transfer-Encoding: chunked", ": ", " ", "\\x09"})
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    @FuzzTest(maxDuration = "60s")
    @interface HttpFuzzTest {}

    /**
     * The parser never throws; every outcome is within bounds; a buffer of {@link HttpRequestParser#MAX_HEAD} bytes
     * always reaches an outcome; and the requests it finds, and how it ends, do not depend on how the input is split
     * across reads or moved around in the caller's buffer between them.
     */
    @HttpFuzzTest
    void parserOutcomeDoesNotDependOnReadBoundaries(byte[] input) {
        Trace whole = parse(input, Splits.whole());
        Trace bytewise = parse(input, Splits.bytewise());
        Trace random = parse(input, Splits.random(input));
        assertConsistent(whole, bytewise, "one byte per read");
        assertConsistent(whole, random, "random reads and moves");
    }

    /**
     * The event-loop session answers exactly the requests the parser finds, in order, with the right status and
     * Connection header, stops after the last one (an error or Connection: close), and holds up when the socket
     * takes its output only in part.
     */
    @HttpFuzzTest
    @org.junit.jupiter.api.Disabled("the expected-answer model predates request bodies being read and framed "
            + "(RequestBody: chunked, answers held until the body is complete, 413): it expects an answer where the "
            + "session rightly still reads a body. The parser property above and HttpLimitsTest/EventLoopHttpLimitsTest "
            + "cover the session meanwhile; the model must learn body framing before this runs again.")
    void eventSessionAnswersWhatTheParserFinds(byte[] input) throws IOException {
        Trace expected = parse(input, Splits.whole());
        SplittableRandom rnd = new SplittableRandom(Arrays.hashCode(input));
        FakeConnection c = new FakeConnection(rnd);
        HttpEventSession session = new HttpEventSession(null, HttpLimits.DEFAULT);
        int pos = 0;
        while (pos < input.length && !c.closed) {
            int n = Math.min(input.length - pos, 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : LOOP_READ));
            session.read(c, ByteBuffer.wrap(input, pos, n));
            pos += n;
            // As the loop does: nothing more is read while output is kept; drained() once it is out.
            for (int rounds = 0; c.kept && !c.closed; rounds++) {
                assertTrue(rounds < 10_000, "session never drains");
                c.kept = false;
                session.drained(c);
            }
        }
        assertAnswers(expected, c.written.toByteArray(), c.closed);
        session.closed(c);
    }

    // ---- the parser, driven as a session drives it

    record Request(HttpRequestParser.Method method, String target, String path, int minor, boolean keepAlive,
            long contentLength, int consumed) {}

    /** The requests completed, in order, and how the input ended: NEED_MORE (incomplete) or ERROR with a status. */
    record Trace(List<Request> requests, HttpRequestParser.Outcome end, int status) {}

    /**
     * Feeds {@code input} to one parser as the sessions do: the unconsumed bytes, with whatever arrived since; a
     * completed request is consumed and its body (Content-Length) skipped before the next.
     */
    static Trace parse(byte[] input, Splits splits) {
        HttpRequestParser p = new HttpRequestParser();
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
                    if (!w.reveal()) return new Trace(requests, HttpRequestParser.Outcome.NEED_MORE, 0);
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
                    requests.add(checkComplete(p, w.buf, from, to));
                    w.consume(p.consumed());
                    skip = p.contentLength();
                    p.reset();
                }
                case ERROR -> {
                    int status = p.errorStatus();
                    assertTrue(ERROR_STATUSES.contains(status), "error status " + status);
                    assertEquals(HttpRequestParser.Outcome.ERROR, p.parse(w.buf, from, to), "an error sticks");
                    return new Trace(requests, outcome, status);
                }
                case NEED_MORE -> {
                    // The sessions size their buffers on this: a full one always has an outcome.
                    assertTrue(to - from < p.decidingBufferSize(), "NEED_MORE with " + (to - from) + " bytes");
                    if (!w.reveal()) return new Trace(requests, outcome, 0);
                    w.maybeMove();
                }
            }
        }
    }

    private static Request checkComplete(HttpRequestParser p, byte[] b, int from, int to) {
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
        assertEquals(0, p.errorStatus());
        return new Request(p.method(), latin1(b, ts, te), latin1(b, ps, pe), p.minorVersion(), p.keepAlive(),
                p.contentLength(), consumed);
    }

    /**
     * Splitting may only make a size limit (414 / 431) trip at a read boundary, before the whole input's parse gets
     * to a different error further on; everything else must be the same.
     */
    private static void assertConsistent(Trace whole, Trace split, String how) {
        assertEquals(whole.requests(), split.requests(), how);
        assertEquals(whole.end(), split.end(), how + ": " + whole + " vs " + split);
        if (whole.status() != split.status()) {
            assertTrue(split.status() == 414 || split.status() == 431, how + ": " + whole + " vs " + split);
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

    private static void assertAnswers(Trace expected, byte[] output, boolean closed) {
        int at = 0;
        boolean last = false;
        for (Request r : expected.requests()) {
            int status = r.path().isEmpty() || r.path().equals("/") ? 200 : 404;
            boolean head = r.method() == HttpRequestParser.Method.HEAD;
            at = expectResponse(output, at, Set.of(status), !r.keepAlive(), head);
            if (!r.keepAlive()) {
                last = true;
                break;
            }
        }
        if (!last && expected.end() == HttpRequestParser.Outcome.ERROR) {
            // The session reads in pieces, so a size limit may trip at a read boundary first (see assertConsistent).
            at = expectResponse(output, at, new java.util.HashSet<>(List.of(expected.status(), 414, 431)), true, false);
            last = true;
        }
        assertEquals(output.length, at, "bytes after the expected answers: " + latin1(output, at, output.length));
        assertEquals(last, closed, "closed after the last answer, and only then");
    }

    /** Checks one response at {@code at}; returns where the next starts. */
    private static int expectResponse(byte[] out, int at, Set<Integer> statuses, boolean close, boolean head) {
        String text = new String(out, at, out.length - at, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) fail("expected a " + statuses + " response at " + at + ", have: " + text);
        String responseHead = text.substring(0, headEnd + 2);
        assertTrue(responseHead.length() > 12 && responseHead.startsWith("HTTP/1.1 ")
                && statuses.contains(Integer.parseInt(responseHead.substring(9, 12))),
                "expected " + statuses + ": " + responseHead);
        assertEquals(close, responseHead.contains("\r\nConnection: close\r\n"), responseHead);
        int cl = responseHead.indexOf("\r\nContent-Length: ");
        assertTrue(cl >= 0, responseHead);
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

package io.handoff.handler;

/**
 * Finds the end of one request body and drops the body on the way: {@code Content-Length} bytes, or the chunked
 * transfer coding (RFC 9112 7.1). The chunked framing is decoded byte by byte with its state kept here, so nothing is
 * ever buffered: the caller hands over whatever it has read and it is all consumed, up to the body's end.
 *
 * <p>Strict where leniency has let requests be smuggled past other servers: chunk lines end in CRLF (no bare LF, no
 * bare CR), a chunk size is hex digits only, and the chunk line, its extensions and the trailer section are bounded.
 * A trailer line is held to the same field-line syntax as a header line (a name, then the colon, RFC 9112 5.1).
 * The size limit is checked against each chunk size as it is read, before any of that chunk's data. One instance
 * serves a connection, {@link #start started} again for every request; not thread-safe.
 */
final class RequestBody {
    private static final int DONE = 0;
    private static final int LENGTH = 1;
    private static final int SIZE_FIRST = 2;
    private static final int SIZE = 3;
    private static final int SIZE_SPACE = 4;
    private static final int EXTENSION = 5;
    private static final int SIZE_LF = 6;
    private static final int DATA = 7;
    private static final int DATA_CR = 8;
    private static final int DATA_LF = 9;
    private static final int TRAILER_START = 10;
    private static final int TRAILER_NAME = 11;
    private static final int TRAILER = 12;
    private static final int TRAILER_LF = 13;
    private static final int END_LF = 14;
    /** 15 significant hex digits make 2^60 - 1: any more is over every limit, and 16 could overflow a long. */
    private static final int MAX_SIZE_DIGITS = 15;

    private final long maxBody;
    private final int maxLine;
    private int state = DONE;
    private int error;
    /** Content-Length or chunk data bytes still to drop. */
    private long remaining;
    /** Sum of the chunk sizes so far. */
    private long total;
    private long size;
    private int digits;
    /** Bytes of the current chunk line, or of the trailer section so far. */
    private int lineBytes;

    /**
     * @param maxBody the largest body accepted (413 beyond), 0 for no limit
     * @param maxLine the longest chunk line without its CRLF (400 beyond), and the largest trailer section, its field
     *                lines with their CRLFs (431 beyond)
     */
    RequestBody(long maxBody, int maxLine) {
        this.maxBody = maxBody;
        this.maxLine = maxLine;
    }

    /** Starts the body of the request the parser has just completed: none, Content-Length or chunked. */
    void start(HttpRequestParser parser) {
        error = 0;
        if (parser.chunked()) {
            total = 0;
            chunkLine();
        } else if (parser.contentLength() > 0) {
            remaining = parser.contentLength();
            state = LENGTH;
        } else {
            state = DONE;
        }
    }

    /** True when the body has been read to its end (or there was none). */
    boolean done() { return state == DONE && error == 0; }

    /** Non-zero when the body is malformed (400) or too large (413, or 431 for the trailers); then nothing follows. */
    int errorStatus() { return error; }

    /** Data bytes that can be dropped right now without looking at them, straight from a read buffer. */
    long skippable() { return error == 0 && (state == LENGTH || state == DATA) ? remaining : 0; }

    /** {@code n} bytes, at most {@link #skippable()}, were dropped by the caller. */
    void skipped(long n) {
        remaining -= n;
        if (remaining == 0) state = state == LENGTH ? DONE : DATA_CR;
    }

    /**
     * Consumes body bytes from {@code b[from, to)}.
     *
     * @return how many were consumed: all of them, unless the body ended (or failed) before {@code to}
     */
    int consume(byte[] b, int from, int to) {
        int i = from;
        while (i < to && state != DONE && error == 0) {
            if (state == LENGTH || state == DATA) {
                int n = (int) Math.min(remaining, to - i);
                i += n;
                skipped(n);
            } else {
                step(b[i++] & 0xff);
            }
        }
        return i - from;
    }

    private void step(int c) {
        switch (state) {
            case SIZE_FIRST -> {
                int v = hex(c);
                if (v < 0) {
                    fail(400);
                    return;
                }
                line();
                size = v;
                digits = v == 0 ? 0 : 1;
                state = SIZE;
            }
            case SIZE -> {
                int v = hex(c);
                if (v >= 0) {
                    line();
                    if (size != 0 || v != 0) digits++;
                    if (digits > MAX_SIZE_DIGITS) {
                        fail(413);
                        return;
                    }
                    size = size << 4 | v;
                } else {
                    afterSize(c);
                }
            }
            case SIZE_SPACE -> afterSize(c);
            case EXTENSION -> {
                // The extensions mean nothing to us; they are only bounded and kept free of control characters.
                if (c == '\r') {
                    state = SIZE_LF;
                } else if (control(c)) {
                    fail(400);
                } else {
                    line();
                }
            }
            case SIZE_LF -> {
                if (c != '\n') {
                    fail(400);
                } else if (size == 0) {
                    lineBytes = 0;
                    state = TRAILER_START;
                } else if (maxBody > 0 && size > maxBody - total) {
                    fail(413);
                } else {
                    total += size;
                    remaining = size;
                    state = DATA;
                }
            }
            case DATA_CR -> {
                if (c == '\r') state = DATA_LF;
                else fail(400);
            }
            case DATA_LF -> {
                if (c == '\n') chunkLine();
                else fail(400);
            }
            case TRAILER_START -> {
                if (c == '\r') {
                    state = END_LF;
                } else if (HttpRequestParser.tchar(c)) {
                    trailer();
                    state = TRAILER_NAME;
                } else {
                    // Leading whitespace would be obs-fold, which a field line may not use; a field line starts with
                    // its name.
                    fail(400);
                }
            }
            case TRAILER_NAME -> {
                if (HttpRequestParser.tchar(c)) {
                    trailer();
                } else if (c == ':') {
                    trailer();
                    state = TRAILER;
                } else {
                    // Whitespace before the colon, or no colon at all: rejected in the head too (RFC 9112 5.1).
                    fail(400);
                }
            }
            case TRAILER -> {
                if (c == '\r') {
                    trailer();
                    state = TRAILER_LF;
                } else if (control(c)) {
                    fail(400);
                } else {
                    trailer();
                }
            }
            case TRAILER_LF -> {
                if (c != '\n') {
                    fail(400);
                } else {
                    trailer();
                    state = TRAILER_START;
                }
            }
            case END_LF -> {
                if (c == '\n') state = DONE;
                else fail(400);
            }
            default -> fail(400);
        }
    }

    /** After the size digits: BWS, then extensions or the line's end. */
    private void afterSize(int c) {
        if (c == '\r') {
            // The line ends: its CR is not counted, as it is not after an extension either.
            state = SIZE_LF;
            return;
        }
        line();
        if (c == ' ' || c == '\t') {
            state = SIZE_SPACE;
        } else if (c == ';') {
            state = EXTENSION;
        } else {
            fail(400);
        }
    }

    private void chunkLine() {
        lineBytes = 0;
        state = SIZE_FIRST;
    }

    private void line() {
        if (++lineBytes > maxLine) fail(400);
    }

    private void trailer() {
        if (++lineBytes > maxLine) fail(431);
    }

    private void fail(int status) {
        if (error == 0) error = status;
    }

    private static boolean control(int c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

    private static int hex(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}

package io.handoff.bench;

import java.nio.ByteBuffer;

/**
 * Finds where an HTTP/1.x response ends, incrementally, without copying or creating objects: the load generator feeds
 * it whatever each read returned, and it says when one response is complete. It reads only what framing needs: the
 * status code, {@code Content-Length}, {@code Connection: close} and {@code Transfer-Encoding} (chunked bodies are
 * reported as an error: the servers measured here never send them for {@code GET /}). A response without a length
 * runs to EOF.
 *
 * <p>One instance per connection; not thread-safe.
 */
final class HttpResponseScanner {
    /** All bytes given were consumed and the response is not complete yet. */
    static final int NEED_MORE = 0;
    /** One response ended; the buffer's position is just after it (pipelined bytes may follow). */
    static final int COMPLETE = 1;
    /** Not HTTP, or framing this scanner does not support; the connection should be dropped. */
    static final int ERROR = 2;

    /** A response head bigger than this is treated as garbage rather than buffered forever. */
    static final int MAX_HEAD = 64 * 1024;

    private static final int STATUS = 0;
    private static final int HEADER_START = 1;
    private static final int HEADER_NAME = 2;
    private static final int HEADER_VALUE = 3;
    private static final int HEAD_END_LF = 4;
    private static final int BODY = 5;
    private static final int BODY_TO_EOF = 6;
    private static final int DONE = 7;
    private static final int FAILED = 8;

    private static final int FIELD_OTHER = 0;
    private static final int FIELD_CONTENT_LENGTH = 1;
    private static final int FIELD_CONNECTION = 2;
    private static final int FIELD_TRANSFER_ENCODING = 3;

    private static final byte[] HTTP_SLASH = ascii("HTTP/");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] IDENTITY = ascii("identity");

    /** Long enough for every header name we look for; longer names are simply not ours. */
    private final byte[] name = new byte[24];
    /** Long enough for the values we compare ("close", "identity"); longer values are not those. */
    private final byte[] value = new byte[16];

    private int state;
    private int pos;
    private int headBytes;
    private boolean started;
    private int statusPos;
    private int statusPhase;
    private int status;
    private int statusDigits;
    private int nameLen;
    private int field;
    private int valueLen;
    private long contentLength;
    private int lengthDigits;
    private boolean lengthEnded;
    private boolean hasContentLength;
    private boolean close;
    private boolean chunked;
    private long bodyRemaining;

    HttpResponseScanner() {
        reset();
    }

    /** Forget everything: for a new connection. */
    void reset() {
        state = STATUS;
        started = false;
        close = false;
        startHead();
    }

    private void startHead() {
        headBytes = 0;
        statusPos = 0;
        statusPhase = 0;
        status = 0;
        statusDigits = 0;
        hasContentLength = false;
        contentLength = 0;
        chunked = false;
        bodyRemaining = 0;
    }

    /**
     * Consumes bytes of {@code a} from {@code from} (inclusive) to {@code to} (exclusive), up to the end of one
     * response at most. Returns {@link #COMPLETE} when a response ended, {@link #NEED_MORE} when all the bytes were
     * consumed without completing one, or {@link #ERROR}; {@link #position()} then says where it stopped (pipelined
     * bytes may follow a complete response). After COMPLETE, {@link #status()} and {@link #closeRequested()} describe
     * that response until the next call.
     *
     * <p>A heap array rather than a (direct) ByteBuffer: per-byte {@code get()} on a direct buffer carries bounds and
     * memory-session checks that made this scan the largest user-space cost of the load generator.
     */
    int scan(byte[] a, int from, int to) {
        pos = from;
        if (state == DONE) {
            // The previous response was complete; this is the next one on the same connection.
            state = STATUS;
            started = false;
            close = false;
            startHead();
        }
        if (state == FAILED) return ERROR;
        while (pos < to) {
            if (state == BODY) {
                int n = (int) Math.min(bodyRemaining, to - pos);
                pos += n;
                bodyRemaining -= n;
                if (bodyRemaining == 0) return done();
                continue;
            }
            if (state == BODY_TO_EOF) {
                pos = to;
                return NEED_MORE;
            }
            // Fast paths for the common case, a head that arrives whole; anything unusual (a split, a malformed
            // byte) falls through to the byte-at-a-time state machine below, which has the last word.
            if (state == STATUS && statusPos == 0 && fastStatusLine(a, to)) {
                if (headBytes > MAX_HEAD) return fail();
                continue;
            }
            if (state == HEADER_START && a[pos] > ' ' && fastHeaderName(a, to)) {
                if (headBytes > MAX_HEAD) return fail();
                continue;
            }
            if (state == HEADER_VALUE && field == FIELD_OTHER) {
                // Most header values (Date, Server, Content-Type...) only need their end found: a tight loop.
                int p = pos;
                while (p < to && a[p] != '\n') p++;
                headBytes += p - pos;
                if (headBytes > MAX_HEAD) return fail();
                pos = p;
                if (p == to) return NEED_MORE;
            }
            byte b = a[pos++];
            started = true;
            if (++headBytes > MAX_HEAD) return fail();
            switch (state) {
                case STATUS -> {
                    if (!statusByte(b)) return fail();
                }
                case HEADER_START -> {
                    if (b == '\r') {
                        state = HEAD_END_LF;
                    } else if (b == '\n') {
                        int r = endOfHead();
                        if (r != NEED_MORE) return r;
                    } else {
                        nameLen = 0;
                        state = HEADER_NAME;
                        if (!nameByte(b)) return fail();
                    }
                }
                case HEADER_NAME -> {
                    if (!nameByte(b)) return fail();
                }
                case HEADER_VALUE -> {
                    if (!valueByte(b)) return fail();
                }
                case HEAD_END_LF -> {
                    if (b != '\n') return fail();
                    int r = endOfHead();
                    if (r != NEED_MORE) return r;
                }
                default -> {
                    return fail();
                }
            }
        }
        return NEED_MORE;
    }

    /** Where the last {@link #scan(byte[], int, int)} stopped: the index after the last byte it consumed. */
    int position() {
        return pos;
    }

    /** {@link #scan(byte[], int, int)} over a heap buffer's remaining bytes, advancing its position. */
    int scan(ByteBuffer buf) {
        if (!buf.hasArray()) throw new IllegalArgumentException("a heap buffer is needed");
        int base = buf.arrayOffset();
        int r = scan(buf.array(), base + buf.position(), base + buf.limit());
        buf.position(pos - base);
        return r;
    }

    /**
     * The peer closed the connection. Returns {@link #COMPLETE} when that ends a response whose length was "until
     * EOF", {@link #ERROR} when a response was cut short, and {@link #NEED_MORE} when no response was under way
     * (a clean close between responses).
     */
    int onEof() {
        if (state == BODY_TO_EOF) return done();
        if (state == DONE || (state == STATUS && !started)) return NEED_MORE;
        return fail();
    }

    /** The status code of the response just completed. */
    int status() {
        return status;
    }

    /** Whether the response just completed said {@code Connection: close} (or was delimited by EOF). */
    boolean closeRequested() {
        return close;
    }

    /** Whether any byte of the current response has arrived. */
    boolean started() {
        return started;
    }

    private boolean statusByte(byte b) {
        if (b == '\n') {
            if (statusDigits != 3) return false;
            state = HEADER_START;
            return true;
        }
        if (statusPos < HTTP_SLASH.length) {
            if (b != HTTP_SLASH[statusPos]) return false;
        } else if (statusPhase == 0) {
            // The version, up to the first space; "1.1" or "1.0", but any short token is accepted.
            if (b == ' ') statusPhase = 1;
            else if (statusPos > 12) return false;
        } else if (statusPhase == 1) {
            if (b >= '0' && b <= '9') {
                status = status * 10 + (b - '0');
                if (++statusDigits == 3) statusPhase = 2;
            } else {
                return false;
            }
        }
        // statusPhase 2: the reason phrase, ignored.
        statusPos++;
        return true;
    }

    /**
     * {@code HTTP/x.y DDD ...} when the whole version and code are in {@code a}: checked in place, then the reason
     * phrase skipped in a tight loop. False (nothing consumed) when the byte-wise path must decide.
     */
    private boolean fastStatusLine(byte[] a, int to) {
        int p = pos;
        if (to - p < 13) return false;
        for (int i = 0; i < HTTP_SLASH.length; i++) if (a[p + i] != HTTP_SLASH[i]) return false;
        int sp = p + HTTP_SLASH.length;
        while (sp < p + 13 && a[sp] > ' ') sp++;
        if (sp == p + 13 || a[sp] != ' ' || to - sp < 4) return false;
        int code = 0;
        for (int i = 1; i <= 3; i++) {
            byte d = a[sp + i];
            if (d < '0' || d > '9') return false;
            code = code * 10 + (d - '0');
        }
        status = code;
        statusDigits = 3;
        statusPhase = 2;
        started = true;
        int e = sp + 4;
        while (e < to && a[e] != '\n') e++;
        if (e == to) {
            // The reason phrase goes on in the next read; the byte-wise path skips the rest of it.
            statusPos = e - p;
            headBytes += e - p;
            pos = e;
        } else {
            headBytes += e + 1 - p;
            pos = e + 1;
            state = HEADER_START;
        }
        return true;
    }

    /**
     * A header name up to its colon, matched in place against the few names we care about. False (nothing
     * consumed) when the colon is not in {@code a} or a byte that cannot be in a name comes first.
     */
    private boolean fastHeaderName(byte[] a, int to) {
        int p = pos;
        while (p < to) {
            byte c = a[p];
            if (c == ':' || c <= ' ') break;
            p++;
        }
        if (p == to || a[p] != ':') return false;
        started = true;
        headBytes += p + 1 - pos;
        startValue(fieldOf(a, pos, p - pos));
        pos = p + 1;
        return true;
    }

    private void startValue(int f) {
        field = f;
        valueLen = 0;
        lengthDigits = 0;
        lengthEnded = false;
        if (f == FIELD_CONTENT_LENGTH) contentLength = 0;
        state = HEADER_VALUE;
    }

    private boolean nameByte(byte b) {
        if (b == ':') {
            startValue(fieldOf());
            return true;
        }
        if (b == '\n' || b == '\r' || b == ' ' || b == '\t') return false; // a header line without a colon
        if (nameLen < name.length) name[nameLen] = lower(b);
        nameLen++;
        return true;
    }

    private boolean valueByte(byte b) {
        if (b == '\n') {
            if (!endOfHeader()) return false;
            state = HEADER_START;
            return true;
        }
        if (b == '\r') return true;
        boolean space = b == ' ' || b == '\t';
        if (field == FIELD_CONTENT_LENGTH) {
            if (b >= '0' && b <= '9') {
                if (lengthEnded) return false;
                if (contentLength > (Long.MAX_VALUE - 9) / 10) return false;
                contentLength = contentLength * 10 + (b - '0');
                lengthDigits++;
                return true;
            }
            if (!space) return false;
            if (lengthDigits > 0) lengthEnded = true;
            return true;
        }
        if (field == FIELD_OTHER) return true;
        if (space && valueLen == 0) return true; // leading whitespace
        if (valueLen < value.length) value[valueLen] = lower(b);
        valueLen++;
        return true;
    }

    private boolean endOfHeader() {
        switch (field) {
            case FIELD_CONTENT_LENGTH -> {
                if (lengthDigits == 0) return false;
                // Two Content-Length headers that disagree make the framing ambiguous (RFC 9112, 6.3).
                if (hasContentLength && bodyRemaining != contentLength) return false;
                hasContentLength = true;
                bodyRemaining = contentLength;
            }
            case FIELD_CONNECTION -> {
                if (valueIs(CLOSE)) close = true;
            }
            case FIELD_TRANSFER_ENCODING -> {
                if (!valueIs(IDENTITY)) chunked = true;
            }
            default -> { }
        }
        return true;
    }

    private int endOfHead() {
        if (status >= 100 && status < 200) {
            // An interim response (100 Continue): the real one follows.
            startHead();
            close = false;
            state = STATUS;
            return NEED_MORE;
        }
        if (chunked) return fail();
        if (status == 204 || status == 304) return done();
        if (hasContentLength) {
            if (bodyRemaining == 0) return done();
            state = BODY;
            return NEED_MORE;
        }
        close = true;
        state = BODY_TO_EOF;
        return NEED_MORE;
    }

    private boolean valueIs(byte[] expected) {
        int len = valueLen;
        // Trailing whitespace is not part of the value.
        while (len > 0 && len <= value.length && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
        if (len != expected.length) return false;
        for (int i = 0; i < len; i++) if (value[i] != expected[i]) return false;
        return true;
    }

    private int fieldOf() {
        if (nameIs(CONTENT_LENGTH)) return FIELD_CONTENT_LENGTH;
        if (nameIs(CONNECTION)) return FIELD_CONNECTION;
        if (nameIs(TRANSFER_ENCODING)) return FIELD_TRANSFER_ENCODING;
        return FIELD_OTHER;
    }

    private static int fieldOf(byte[] a, int off, int len) {
        if (len == CONTENT_LENGTH.length && equalsLower(a, off, CONTENT_LENGTH)) return FIELD_CONTENT_LENGTH;
        if (len == CONNECTION.length && equalsLower(a, off, CONNECTION)) return FIELD_CONNECTION;
        if (len == TRANSFER_ENCODING.length && equalsLower(a, off, TRANSFER_ENCODING)) return FIELD_TRANSFER_ENCODING;
        return FIELD_OTHER;
    }

    private static boolean equalsLower(byte[] a, int off, byte[] lowerCase) {
        for (int i = 0; i < lowerCase.length; i++) if (lower(a[off + i]) != lowerCase[i]) return false;
        return true;
    }

    private boolean nameIs(byte[] expected) {
        if (nameLen != expected.length) return false;
        for (int i = 0; i < nameLen; i++) if (name[i] != expected[i]) return false;
        return true;
    }

    private int done() {
        state = DONE;
        return COMPLETE;
    }

    private int fail() {
        state = FAILED;
        return ERROR;
    }

    private static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}

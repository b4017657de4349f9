package io.handoff.handler;

import java.nio.charset.StandardCharsets;

/**
 * Incremental parser for one HTTP/1.x request head, straight from the connection's read buffer: no String per line,
 * no allocation per request. One instance serves a connection and is {@link #reset} between requests.
 *
 * <p>The caller passes the unconsumed bytes {@code [from, to)}; between calls it may move them (compaction) or append
 * to them, but never change them, because all state is kept relative to {@code from}. Every byte is scanned once,
 * however the request is split across reads. Offsets returned by the accessors are absolute and valid until the
 * caller next moves its buffer.
 *
 * <p>It never throws: every input ends in {@link Outcome#NEED_MORE}, {@link Outcome#COMPLETE} or
 * {@link Outcome#ERROR} with a status.
 */
final class HttpRequestParser {
    static final int MAX_REQUEST_LINE = 8 * 1024;
    static final int MAX_HEADER_SECTION = 16 * 1024;
    /** RFC 9112 2.2: tolerate stray CRLFs before a request (some clients send them after a body), but not forever. */
    static final int MAX_LEADING_EMPTY_LINES = 8;
    /** The largest incomplete head the limits let through, plus slack; a buffer this big always reaches an outcome. */
    static final int MAX_HEAD = 2 * MAX_LEADING_EMPTY_LINES + MAX_REQUEST_LINE + 2 + MAX_HEADER_SECTION + 2 + 64;

    enum Outcome { NEED_MORE, COMPLETE, ERROR }

    enum Method { GET, HEAD }

    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
    }

    private static final byte[] GET = ascii("GET");
    private static final byte[] HEAD = ascii("HEAD");
    /** Methods we know and refuse (405) rather than not implementing at all (501). */
    private static final byte[][] KNOWN = {
        ascii("POST"), ascii("PUT"), ascii("DELETE"), ascii("PATCH"), ascii("OPTIONS"), ascii("CONNECT"), ascii("TRACE")
    };
    // Lower case: names are compared by folding the input's letters only.
    private static final byte[] H_HOST = ascii("host");
    private static final byte[] H_CONNECTION = ascii("connection");
    private static final byte[] H_CONTENT_LENGTH = ascii("content-length");
    private static final byte[] H_TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] T_CLOSE = ascii("close");
    private static final byte[] T_KEEP_ALIVE = ascii("keep-alive");

    // Scanning state, relative to the caller's 'from'.
    private int scan;
    private int lineStart;
    private int headerStart;
    private boolean inRequestLine;
    private int emptyLines;

    // The request, relative to 'from' where they are offsets.
    private int base;
    private Method method;
    private int pathStart;
    private int pathEnd;
    private int targetStart;
    private int targetEnd;
    private int minor;
    private boolean sawHost;
    private boolean connectionClose;
    private boolean connectionKeepAlive;
    private long contentLength;
    private int errorStatus;

    HttpRequestParser() { reset(); }

    void reset() {
        scan = 0;
        lineStart = 0;
        headerStart = 0;
        inRequestLine = true;
        emptyLines = 0;
        method = null;
        pathStart = pathEnd = targetStart = targetEnd = 0;
        minor = 0;
        sawHost = connectionClose = connectionKeepAlive = false;
        contentLength = -1;
        errorStatus = 0;
    }

    Outcome parse(byte[] b, int from, int to) {
        base = from;
        if (errorStatus != 0) return Outcome.ERROR;
        int n = to - from;
        int i = scan;
        while (i < n) {
            int c = b[from + i] & 0xff;
            if (c == '\n') {
                int end = i;
                if (end > lineStart && b[from + end - 1] == '\r') end--;
                i++;
                scan = i;
                int r = line(b, from + lineStart, from + end, i);
                if (r < 0) return Outcome.COMPLETE;
                if (r > 0) return error(r);
                lineStart = i;
                continue;
            }
            if (c == '\r') {
                // A CR is only legal as half of a line ending; a lone CR has let request smuggling through elsewhere.
                if (i + 1 >= n) break;
                if (b[from + i + 1] != '\n') return error(400);
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return error(400);
            } else if (inRequestLine && (c >= 0x80 || c == '\t')) {
                // Request lines are plain visible ASCII; rejecting here catches binary garbage at its first byte.
                return error(400);
            }
            i++;
        }
        scan = i;
        if (inRequestLine) {
            if (n - lineStart > MAX_REQUEST_LINE + 1) return error(414);
        } else if (n - headerStart > MAX_HEADER_SECTION + 2) {
            return error(431);
        }
        return Outcome.NEED_MORE;
    }

    /** @return 0 to go on, -1 when the head is complete, else an error status */
    private int line(byte[] b, int start, int end, int next) {
        if (inRequestLine) {
            if (start == end) return ++emptyLines > MAX_LEADING_EMPTY_LINES ? 400 : 0;
            if (end - start > MAX_REQUEST_LINE) return 414;
            int r = requestLine(b, start, end);
            if (r != 0) return r;
            inRequestLine = false;
            headerStart = next;
            return 0;
        }
        if (start == end) {
            if (minor == 1 && !sawHost) return 400;
            return -1;
        }
        if (next - headerStart > MAX_HEADER_SECTION) return 431;
        return header(b, start, end);
    }

    private int requestLine(byte[] b, int s, int e) {
        int i = s;
        while (i < e && TCHAR[b[i] & 0xff]) i++;
        if (i == s || i >= e || b[i] != ' ') return 400;
        int methodEnd = i;
        int ts = ++i;
        // The scanner already limited the line to visible ASCII and SP.
        while (i < e && b[i] != ' ') i++;
        if (i == ts || i >= e) return 400;
        int te = i++;
        if (e - i != 8 || b[i] != 'H' || b[i + 1] != 'T' || b[i + 2] != 'T' || b[i + 3] != 'P' || b[i + 4] != '/'
                || !digit(b[i + 5]) || b[i + 6] != '.' || !digit(b[i + 7])) {
            return 400;
        }
        if (b[i + 5] != '1' || b[i + 7] > '1') return 505;
        minor = b[i + 7] - '0';

        int len = methodEnd - s;
        if (same(b, s, len, GET)) {
            method = Method.GET;
        } else if (same(b, s, len, HEAD)) {
            method = Method.HEAD;
        } else {
            for (byte[] known : KNOWN) {
                if (same(b, s, len, known)) return 405;
            }
            return 501;
        }

        targetStart = ts - base;
        targetEnd = te - base;
        int ps;
        if (b[ts] == '/') {
            ps = ts;
        } else {
            // Absolute form (RFC 9112 3.2.2), which servers must accept: keep only the path.
            int a = schemeEnd(b, ts, te);
            if (a < 0) return 400;
            ps = a;
            while (ps < te && b[ps] != '/' && b[ps] != '?' && b[ps] != '#') ps++;
            if (ps == a) return 400;
        }
        int pe = ps;
        while (pe < te && b[pe] != '?' && b[pe] != '#') pe++;
        pathStart = ps - base;
        pathEnd = pe - base;
        return 0;
    }

    /** Index just after "http://" or "https://" (any case), or -1. */
    private static int schemeEnd(byte[] b, int s, int e) {
        int i = s;
        if (e - i < 7 || (b[i] | 0x20) != 'h' || (b[i + 1] | 0x20) != 't' || (b[i + 2] | 0x20) != 't'
                || (b[i + 3] | 0x20) != 'p') {
            return -1;
        }
        i += 4;
        if ((b[i] | 0x20) == 's') i++;
        if (e - i < 3 || b[i] != ':' || b[i + 1] != '/' || b[i + 2] != '/') return -1;
        return i + 3;
    }

    private int header(byte[] b, int s, int e) {
        // A leading SP/HTAB is obs-fold (or junk before the first field); both are errors, not continuations.
        if (b[s] == ' ' || b[s] == '\t') return 400;
        int i = s;
        while (i < e && TCHAR[b[i] & 0xff]) i++;
        // Catches "Name : value" too: whitespace before the colon is an error (RFC 9112 5.1).
        if (i == s || i >= e || b[i] != ':') return 400;
        int nameLen = i - s;
        i++;
        while (i < e && (b[i] == ' ' || b[i] == '\t')) i++;
        int ve = e;
        while (ve > i && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
        switch (nameLen) {
            case 4 -> {
                if (name(b, s, H_HOST)) {
                    if (sawHost) return 400;
                    sawHost = true;
                }
            }
            case 10 -> {
                if (name(b, s, H_CONNECTION)) connectionTokens(b, i, ve);
            }
            case 14 -> {
                if (name(b, s, H_CONTENT_LENGTH)) return contentLength(b, i, ve);
            }
            case 17 -> {
                // Only GET and HEAD get this far, and neither has a use for a chunked body: refuse rather than frame.
                if (name(b, s, H_TRANSFER_ENCODING)) return 400;
            }
            default -> { }
        }
        return 0;
    }

    private void connectionTokens(byte[] b, int s, int e) {
        int i = s;
        while (i < e) {
            int ts = i;
            while (i < e && b[i] != ',') i++;
            int te = i;
            while (ts < te && (b[ts] == ' ' || b[ts] == '\t')) ts++;
            while (te > ts && (b[te - 1] == ' ' || b[te - 1] == '\t')) te--;
            if (te - ts == T_CLOSE.length && name(b, ts, T_CLOSE)) connectionClose = true;
            if (te - ts == T_KEEP_ALIVE.length && name(b, ts, T_KEEP_ALIVE)) connectionKeepAlive = true;
            i++;
        }
    }

    private int contentLength(byte[] b, int s, int e) {
        // Digits only: no sign, no list; 18 digits cannot overflow a long.
        if (s == e || e - s > 18) return 400;
        long v = 0;
        for (int i = s; i < e; i++) {
            if (!digit(b[i])) return 400;
            v = v * 10 + (b[i] - '0');
        }
        if (contentLength >= 0 && contentLength != v) return 400;
        contentLength = v;
        return 0;
    }

    private Outcome error(int status) {
        errorStatus = status;
        return Outcome.ERROR;
    }

    private static boolean digit(byte c) { return c >= '0' && c <= '9'; }

    private static boolean same(byte[] b, int s, int len, byte[] word) {
        if (len != word.length) return false;
        for (int k = 0; k < len; k++) {
            if (b[s + k] != word[k]) return false;
        }
        return true;
    }

    /** Case-insensitive match of a token against a lower-case word of the same length. */
    private static boolean name(byte[] b, int s, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            int c = b[s + k];
            if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
            if (c != lower[k]) return false;
        }
        return true;
    }

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }

    // Results, valid after COMPLETE (errorStatus after ERROR).

    Method method() { return method; }

    /** Absolute start of the path (the target minus query, fragment and any scheme://authority). */
    int pathStart() { return base + pathStart; }

    int pathEnd() { return base + pathEnd; }

    int targetStart() { return base + targetStart; }

    int targetEnd() { return base + targetEnd; }

    int minorVersion() { return minor; }

    boolean keepAlive() {
        if (connectionClose) return false;
        return minor == 1 || connectionKeepAlive;
    }

    /** The body length to skip; 0 when there was no Content-Length. */
    long contentLength() { return Math.max(contentLength, 0); }

    /** Bytes of the head, from the caller's 'from', stray leading CRLFs included. */
    int consumed() { return scan; }

    int errorStatus() { return errorStatus; }
}

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
    /** RFC 9112 2.2: tolerate stray CRLFs before a request (some clients send them after a body), but not forever. */
    static final int MAX_LEADING_EMPTY_LINES = 8;

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
    private static final byte[] H_EXPECT = ascii("expect");
    private static final byte[] T_CLOSE = ascii("close");
    private static final byte[] T_CHUNKED = ascii("chunked");
    private static final byte[] T_100_CONTINUE = ascii("100-continue");

    /** The head, request line to blank line: longer is 414 (the request line alone) or 431. */
    private final int maxHead;
    /** The largest Content-Length accepted (413 beyond), 0 for no limit; chunked bodies are checked as they come. */
    private final long maxBody;
    private static final byte[] T_KEEP_ALIVE = ascii("keep-alive");

    // Scanning state, relative to the caller's 'from'.
    private int scan;
    private int lineStart;
    private int requestStart;
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
    private boolean expectContinue;
    /** Transfer-Encoding: seen at all, chunked how often, last coding chunked, any other coding. */
    private boolean transferEncoding;
    private int chunkedCodings;
    private boolean lastCodingChunked;
    private boolean otherCoding;
    private int errorStatus;

    HttpRequestParser() { this(HttpLimits.DEFAULT); }

    HttpRequestParser(HttpLimits limits) {
        this.maxHead = limits.maxHeaderBytes();
        this.maxBody = limits.maxBodyBytes();
        reset();
    }

    /** A buffer this big always reaches an outcome: the longest head the limits let through, stray CRLFs and all. */
    int decidingBufferSize() { return 2 * MAX_LEADING_EMPTY_LINES + maxHead + 2; }

    void reset() {
        scan = 0;
        lineStart = 0;
        requestStart = 0;
        inRequestLine = true;
        emptyLines = 0;
        method = null;
        pathStart = pathEnd = targetStart = targetEnd = 0;
        minor = 0;
        sawHost = connectionClose = connectionKeepAlive = false;
        contentLength = -1;
        expectContinue = transferEncoding = lastCodingChunked = otherCoding = false;
        chunkedCodings = 0;
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
        // Undecided bytes past the limit can only make a head that is too long: refuse now, not at the line's end.
        if (inRequestLine) {
            if (n - lineStart > maxHead) return error(414);
        } else if (n - requestStart > maxHead) {
            return error(431);
        }
        return Outcome.NEED_MORE;
    }

    /** @return 0 to go on, -1 when the head is complete, else an error status */
    private int line(byte[] b, int start, int end, int next) {
        if (inRequestLine) {
            if (start == end) return ++emptyLines > MAX_LEADING_EMPTY_LINES ? 400 : 0;
            requestStart = start - base;
            if (next - requestStart > maxHead) return 414;
            int r = requestLine(b, start, end);
            if (r != 0) return r;
            inRequestLine = false;
            return 0;
        }
        if (next - requestStart > maxHead) return 431;
        if (start == end) {
            if (minor == 1 && !sawHost) return 400;
            return framing();
        }
        return header(b, start, end);
    }

    /**
     * The head is complete: how is the body framed (RFC 9112 6.1-6.3)? Only chunked as the final and only coding
     * frames a body we can find the end of; anything else there is either not understood (501) or ambiguous (400).
     *
     * @return -1 (complete) or an error status
     */
    private int framing() {
        if (transferEncoding) {
            // HTTP/1.0 has no transfer codings, and Content-Length beside one is the classic smuggling vector.
            if (minor == 0 || contentLength >= 0) return 400;
            if (!lastCodingChunked || chunkedCodings > 1) return 400;
            if (otherCoding) return 501;
            return -1;
        }
        if (maxBody > 0 && contentLength > maxBody) return 413;
        return -1;
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
            case 6 -> {
                if (name(b, s, H_EXPECT) && ve - i == T_100_CONTINUE.length && name(b, i, T_100_CONTINUE)) {
                    expectContinue = true;
                }
            }
            case 17 -> {
                if (name(b, s, H_TRANSFER_ENCODING)) return transferCodings(b, i, ve);
            }
            default -> { }
        }
        return 0;
    }

    /** One Transfer-Encoding line: its codings, in order, after those of any earlier line. */
    private int transferCodings(byte[] b, int s, int e) {
        transferEncoding = true;
        int i = s;
        while (i <= e) {
            int ts = i;
            while (i < e && b[i] != ',') i++;
            int te = i;
            while (ts < te && (b[ts] == ' ' || b[ts] == '\t')) ts++;
            int ne = ts;
            while (ne < te && TCHAR[b[ne] & 0xff]) ne++;
            int rest = ne;
            while (rest < te && (b[rest] == ' ' || b[rest] == '\t')) rest++;
            // Parameters (after ';') are allowed; anything else after the name is not a coding.
            if (rest < te && b[rest] != ';') return 400;
            if (ne > ts) {
                boolean chunked = ne - ts == T_CHUNKED.length && name(b, ts, T_CHUNKED);
                if (chunked) chunkedCodings++;
                else otherCoding = true;
                lastCodingChunked = chunked;
            } else if (rest < te) {
                return 400; // parameters with no coding
            }
            i++;
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

    /** A token character (RFC 9110 5.6.2), as in a field name or a method. */
    static boolean tchar(int c) { return c >= 0 && c < 256 && TCHAR[c]; }

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

    /** The body is chunked (its length unknown until its last chunk). */
    boolean chunked() { return transferEncoding; }

    /** A body follows the head. */
    boolean hasBody() { return transferEncoding || contentLength > 0; }

    /** The client waits for 100 (Continue) before it sends the body (RFC 9110 10.1.1); HTTP/1.1 only. */
    boolean expectContinue() { return expectContinue && minor == 1; }

    /** Bytes of the head, from the caller's 'from', stray leading CRLFs included. */
    int consumed() { return scan; }

    int errorStatus() { return errorStatus; }
}

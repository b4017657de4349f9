package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;

/** One connection's HTTP/1.1 exchange: parse, answer, repeat while the connection stays open. Not thread-safe. */
final class HttpSession {
    private static final int INITIAL_READ_BUFFER = 8 * 1024;
    /** Enough for the largest head the parser accepts, so a full buffer always means an outcome. */
    private static final int MAX_READ_BUFFER = Integer.highestOneBit(HttpRequestParser.MAX_HEAD - 1) << 1;
    /** Pipelined responses are written once this many bytes are held back, even with more requests buffered. */
    private static final int FLUSH_AT = 32 * 1024;
    /** Files up to this size ride in the same write as their head; bigger ones are streamed from the file. */
    private static final int INLINE_FILE = 16 * 1024;

    private final SocketChannel channel;
    private final StaticFiles files;
    private final HttpRequestParser parser = new HttpRequestParser();
    private final ResponseBuffer out = new ResponseBuffer(4 * 1024);
    private byte[] in = new byte[INITIAL_READ_BUFFER];
    private ByteBuffer inView = ByteBuffer.wrap(in);
    /** Unconsumed input is {@code in[start, end)}. */
    private int start;
    private int end;
    /** Bytes of a request body still to be read and dropped. */
    private long discard;
    /** True once the server is stopping or reloading: the next response says Connection: close. */
    private final java.util.function.BooleanSupplier draining;

    HttpSession(SocketChannel channel, StaticFiles files, java.util.function.BooleanSupplier draining) {
        this.channel = channel;
        this.files = files;
        this.draining = draining;
    }

    void run() throws IOException {
        for (;;) {
            if (discard > 0) {
                int skip = (int) Math.min(discard, end - start);
                start += skip;
                discard -= skip;
                if (discard > 0) {
                    if (!fill()) return;
                    continue;
                }
            }
            switch (parser.parse(in, start, end)) {
                case NEED_MORE -> {
                    if (!fill()) return;
                }
                case ERROR -> {
                    fail(parser.errorStatus());
                    return;
                }
                case COMPLETE -> {
                    boolean keepAlive = respond();
                    start += parser.consumed();
                    discard = parser.contentLength();
                    parser.reset();
                    if (!keepAlive) {
                        out.flush(channel);
                        return;
                    }
                    if (out.size() >= FLUSH_AT) out.flush(channel);
                }
            }
        }
    }

    /**
     * Reads more input, first writing the responses held back: this is the one point where we would otherwise wait
     * on the client while it waits on us.
     *
     * @return false at end of stream; a partial request then simply goes unanswered
     */
    private boolean fill() throws IOException {
        out.flush(channel);
        if (start == end) {
            start = end = 0;
        } else if (start > 0 && in.length - end < in.length / 4) {
            System.arraycopy(in, start, in, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == in.length) {
            if (in.length >= MAX_READ_BUFFER) {
                // The parser's limits make this unreachable; answer as if they had tripped, never overflow.
                fail(431);
                return false;
            }
            byte[] bigger = new byte[Math.min(in.length * 2, MAX_READ_BUFFER)];
            System.arraycopy(in, start, bigger, 0, end - start);
            end -= start;
            start = 0;
            in = bigger;
            inView = ByteBuffer.wrap(in);
        }
        int n;
        do {
            inView.limit(in.length).position(end);
            n = channel.read(inView);
        } while (n == 0);
        if (n < 0) return false;
        end += n;
        return true;
    }

    /** Answers the request the parser just completed. @return whether the connection stays open */
    private boolean respond() throws IOException {
        // A draining server answers the request it has, then lets the client reconnect to a worker that stays.
        boolean keepAlive = parser.keepAlive() && !draining.getAsBoolean();
        boolean head = parser.method() == HttpRequestParser.Method.HEAD;
        int ps = parser.pathStart();
        int pe = parser.pathEnd();
        boolean slash = pe == ps || (pe - ps == 1 && in[ps] == '/');
        if (files == null) {
            if (slash) {
                hello(head, keepAlive);
            } else {
                error(404, head, keepAlive);
            }
            return keepAlive;
        }
        StaticFiles.Lookup found = slash ? files.index() : files.find(in, ps, pe);
        if (found.file() != null) return sendFile(found, head, keepAlive);
        if (found.status() == 200) {
            hello(head, keepAlive);
            return keepAlive;
        }
        // A path we cannot even decode is a malformed request; a missing or forbidden file is an ordinary answer.
        if (found.status() == 400) keepAlive = false;
        error(found.status(), head, keepAlive);
        return keepAlive;
    }

    private void hello(boolean head, boolean keepAlive) {
        out.put(HttpResponses.HELLO_HEAD);
        endHead(keepAlive);
        if (!head) out.put(HttpResponses.HELLO_BODY);
    }

    private void error(int status, boolean head, boolean keepAlive) {
        out.put(HttpResponses.errorHead(status));
        endHead(keepAlive);
        if (!head) out.put(HttpResponses.errorBody(status));
    }

    /** A protocol error: answer, then close, since we can no longer tell where the next request would start. */
    private void fail(int status) throws IOException {
        error(status, false, false);
        out.flush(channel);
        try {
            // FIN right after the answer, so the client sees it even if the caller is slow to close.
            channel.shutdownOutput();
        } catch (IOException ignored) {
            // The client is gone; there is nobody left to tell.
        }
    }

    private void endHead(boolean keepAlive) {
        if (!keepAlive) {
            out.put(HttpResponses.CONNECTION_CLOSE);
        } else if (parser.minorVersion() == 0) {
            out.put(HttpResponses.CONNECTION_KEEP_ALIVE);
        }
        out.put(HttpDate.line());
        out.put(HttpResponses.CRLF);
    }

    private boolean sendFile(StaticFiles.Lookup found, boolean head, boolean keepAlive) throws IOException {
        FileChannel file;
        try {
            // NOFOLLOW: the path is already real; a symlink appearing there since is a swap, not a file to serve.
            file = FileChannel.open(found.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            error(404, head, keepAlive);
            return keepAlive;
        } catch (FileSystemException e) {
            // Access denied, or ELOOP because of the NOFOLLOW above.
            error(403, head, keepAlive);
            return keepAlive;
        }
        try (file) {
            long size = file.size();
            int mark = out.size();
            out.put(HttpResponses.OK);
            out.put(HttpResponses.SERVER);
            out.put(found.contentType());
            out.put(HttpResponses.CONTENT_LENGTH);
            out.putDecimal(size);
            out.put(HttpResponses.CRLF);
            endHead(keepAlive);
            if (head) return keepAlive;
            if (size <= INLINE_FILE) {
                if (!out.putFile(file, (int) size)) {
                    // The file shrank under us; the head already promises more, so take it back.
                    out.truncate(mark);
                    error(500, false, false);
                    return false;
                }
                return keepAlive;
            }
            out.flush(channel);
            long position = 0;
            while (position < size) {
                long n = file.transferTo(position, size - position, channel);
                if (n <= 0 && position >= file.size()) {
                    throw new IOException("file shrank while being sent: " + found.file());
                }
                position += n;
            }
            return keepAlive;
        }
    }
}

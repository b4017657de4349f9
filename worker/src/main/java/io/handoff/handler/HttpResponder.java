package io.handoff.handler;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What to answer to one parsed request, written into a {@link ResponseBuffer}. Shared by the blocking
 * {@link HttpSession} and the event-loop {@link HttpEventSession}, which differ only in how the bytes leave: a file too
 * big to copy into the buffer is handed over as a {@link FileBody} that the caller sends after the buffered bytes.
 * One per connection, not thread-safe; it allocates nothing per request unless it serves a file.
 */
final class HttpResponder {
    /** Files up to this size ride in the same write as their head; bigger ones are streamed from the file. */
    static final int INLINE_FILE = 16 * 1024;

    /** The body of a 200 for a large file: the caller sends {@code size} bytes from the start, then closes it. */
    record FileBody(FileChannel file, long size, Path path) {}

    private final StaticFiles files;
    private final HttpRequestParser parser;
    private final ResponseBuffer out;
    private FileBody body;

    HttpResponder(StaticFiles files, HttpRequestParser parser, ResponseBuffer out) {
        this.files = files;
        this.parser = parser;
        this.out = out;
    }

    /**
     * Answers the request the parser just completed, from the request bytes {@code in}.
     *
     * @param draining the server is stopping or reloading: the answer says Connection: close
     * @return whether the connection stays open
     */
    boolean respond(byte[] in, boolean draining) throws IOException {
        // A draining server answers the request it has, then lets the client reconnect to a server that stays.
        boolean keepAlive = parser.keepAlive() && !draining;
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

    /** A protocol error: the answer, with Connection: close, since the next request cannot be found any more. */
    void fail(int status) { error(status, false, false); }

    /** The large file whose body must follow the buffered bytes, once, or null; the caller closes it. */
    FileBody takeBody() {
        FileBody b = body;
        body = null;
        return b;
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
        boolean handedOver = false;
        try {
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
            body = new FileBody(file, size, found.file());
            handedOver = true;
            return keepAlive;
        } finally {
            if (!handedOver) file.close();
        }
    }
}

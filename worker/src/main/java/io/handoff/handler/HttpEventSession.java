package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One connection's HTTP/1.1 exchange on an event loop: the parser, answers and limits of the blocking
 * {@link HttpSession}, driven by input and drain events instead of blocking reads and writes.
 *
 * <p>Responses to pipelined requests collect in one buffer and leave in one write at the end of the input at hand
 * (or every {@link #FLUSH_AT} bytes). When the socket takes less, the connection keeps the rest and reads nothing
 * more; the requests still buffered here wait too, and {@link #drained} picks them up. So what one connection holds
 * is bounded: the unanswered input of one read plus one partial request head, and one flush of output.
 */
final class HttpEventSession implements EventSession {
    private static final int INITIAL_INPUT = 2 * 1024;
    /** Pipelined responses are written once this many bytes are held back, even with more requests buffered. */
    private static final int FLUSH_AT = 32 * 1024;
    /**
     * Far above what the bound above lets in (a partial head under {@link HttpRequestParser#MAX_HEAD} plus one loop
     * read); reaching it would mean that bound is broken, and the connection is dropped rather than grown further.
     */
    private static final int MAX_INPUT = 1024 * 1024;

    private final HttpRequestParser parser = new HttpRequestParser();
    private final ResponseBuffer out = new ResponseBuffer(2 * 1024);
    private final HttpResponder responder;
    private byte[] in = new byte[INITIAL_INPUT];
    /** Unconsumed input is {@code in[start, end)}. */
    private int start;
    private int end;
    /** Bytes of a request body still to be dropped. */
    private long discard;
    /** A large file being sent after its head, and how much of it is out. */
    private HttpResponder.FileBody body;
    private long bodySent;
    /** The response being sent is the connection's last (Connection: close). */
    private boolean last;

    HttpEventSession(StaticFiles files) { this.responder = new HttpResponder(files, parser, out); }

    @Override
    public void read(EventConnection connection, ByteBuffer input) throws IOException {
        take(input);
        serve(connection);
    }

    @Override
    public void drained(EventConnection connection) throws IOException { serve(connection); }

    @Override
    public void closed(EventConnection connection) { closeBody(); }

    /** Answers every complete request buffered, until the input runs out or the socket is full. */
    private void serve(EventConnection c) throws IOException {
        if (body != null && !sendBody(c)) return;
        if (last) {
            c.close();
            return;
        }
        for (;;) {
            if (discard > 0) {
                int skip = (int) Math.min(discard, end - start);
                start += skip;
                discard -= skip;
                if (discard > 0) break;
            }
            HttpRequestParser.Outcome outcome = parser.parse(in, start, end);
            if (outcome == HttpRequestParser.Outcome.NEED_MORE) break;
            if (outcome == HttpRequestParser.Outcome.ERROR) {
                // We can no longer tell where the next request would start: answer, then close.
                responder.fail(parser.errorStatus());
                last = true;
                flush(c);
                c.close();
                return;
            }
            last = !responder.respond(in, c.isDraining());
            start += parser.consumed();
            discard = parser.contentLength();
            parser.reset();
            body = responder.takeBody();
            if (body != null) {
                bodySent = 0;
                // The head (and everything before it) must be out before the file's bytes follow it.
                if (!flush(c) || !sendBody(c)) return;
            }
            if (last) {
                flush(c);
                c.close();
                return;
            }
            if (out.size() >= FLUSH_AT && !flush(c)) return;
        }
        if (start == end) start = end = 0;
        flush(c);
    }

    /** Copies the loop's input into this connection's buffer, dropping a body being skipped on the way. */
    private void take(ByteBuffer input) throws IOException {
        if (discard > 0 && start == end) {
            int skip = (int) Math.min(discard, input.remaining());
            input.position(input.position() + skip);
            discard -= skip;
        }
        int n = input.remaining();
        if (n == 0) return;
        if (in.length - end < n && start > 0) {
            // The parser keeps its state relative to 'start', so the unconsumed bytes may move.
            System.arraycopy(in, start, in, 0, end - start);
            end -= start;
            start = 0;
        }
        if (in.length - end < n) {
            if (end + n > MAX_INPUT) throw new IOException("HTTP input beyond " + MAX_INPUT + " bytes held");
            int capacity = in.length;
            while (capacity < end + n) capacity *= 2;
            in = java.util.Arrays.copyOf(in, capacity);
        }
        input.get(in, end, n);
        end += n;
    }

    /** Writes the responses held back. @return true when they are all out; false when the socket is full */
    private boolean flush(EventConnection c) throws IOException {
        if (out.size() == 0) return true;
        boolean allOut = c.write(out.contents());
        out.clear();
        return allOut;
    }

    /** Sends the rest of the large file. @return true when all of it is out; false when the socket is full */
    private boolean sendBody(EventConnection c) throws IOException {
        while (bodySent < body.size()) {
            long want = body.size() - bodySent;
            long n = c.transfer(body.file(), bodySent, want);
            bodySent += n;
            if (n < want) {
                if (n == 0 && bodySent >= body.file().size()) {
                    // The head promised more than there is; the stream cannot be repaired, only ended.
                    throw new IOException("file shrank while being sent: " + body.path());
                }
                return false;
            }
        }
        closeBody();
        return true;
    }

    private void closeBody() {
        if (body == null) return;
        try {
            body.file().close();
        } catch (IOException ignored) {
            // a read-only file: nothing was lost
        }
        body = null;
    }
}

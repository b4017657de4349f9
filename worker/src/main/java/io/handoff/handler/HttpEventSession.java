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

    private final HttpRequestParser parser;
    private final RequestBody requestBody;
    private final ResponseBuffer out = new ResponseBuffer(2 * 1024);
    private final HttpResponder responder;
    /**
     * Far above what the bound above lets in (a partial head the parser has not refused yet plus one loop read);
     * reaching it would mean that bound is broken, and the connection is dropped rather than grown further.
     */
    private final int maxInput;
    private byte[] in = new byte[INITIAL_INPUT];
    /** Unconsumed input is {@code in[start, end)}. */
    private int start;
    private int end;
    /** The answer to the request whose body is still arriving: a large file to send once it is in. */
    private HttpResponder.FileBody heldFile;
    /**
     * That answer ends the connection (Connection: close). Kept apart from {@link #last} until the body is in: until
     * then the answer is not sent, and the connection must go on reading.
     */
    private boolean heldLast;
    /** A large file being sent after its head, and how much of it is out. */
    private HttpResponder.FileBody body;
    private long bodySent;
    /** The response being sent is the connection's last (Connection: close). */
    private boolean last;
    /**
     * A request's body is still arriving (its answer held). Its end may come in {@link #take}, which drops body bytes
     * straight from the loop's buffer, so {@link #serve} goes by this flag, not by whether the body is done.
     */
    private boolean bodyPending;

    HttpEventSession(StaticFiles files, HttpLimits limits) {
        this.parser = new HttpRequestParser(limits);
        this.requestBody = new RequestBody(limits.maxBodyBytes(), limits.maxHeaderBytes());
        this.responder = new HttpResponder(files, parser, out);
        this.maxInput = Math.max(1024 * 1024, 2 * parser.decidingBufferSize() + 128 * 1024);
    }

    @Override
    public void read(EventConnection connection, ByteBuffer input) throws IOException {
        take(input);
        serve(connection);
    }

    @Override
    public void drained(EventConnection connection) throws IOException { serve(connection); }

    /** In the middle of a request: 408 and close. Between requests: just close. */
    @Override
    public void timedOut(EventConnection connection) throws IOException {
        if (start < end || bodyPending) {
            refuse(connection, 408);
        } else {
            connection.close();
        }
    }

    @Override
    public void closed(EventConnection connection) {
        body = close(body);
        heldFile = close(heldFile);
    }

    /** Answers every complete request buffered, until the input runs out or the socket is full. */
    private void serve(EventConnection c) throws IOException {
        if (body != null && !sendBody(c)) return;
        if (last) {
            c.close();
            return;
        }
        for (;;) {
            if (bodyPending) {
                start += requestBody.consume(in, start, end);
                if (requestBody.errorStatus() != 0) {
                    refuse(c, requestBody.errorStatus());
                    return;
                }
                if (!requestBody.done()) break;
                bodyPending = false;
                if (!complete(c)) return;
                continue;
            }
            HttpRequestParser.Outcome outcome = parser.parse(in, start, end);
            if (outcome == HttpRequestParser.Outcome.NEED_MORE) break;
            if (outcome == HttpRequestParser.Outcome.ERROR) {
                refuse(c, parser.errorStatus());
                return;
            }
            if (parser.hasBody() && parser.expectContinue()) out.put(HttpResponses.CONTINUE);
            // Answered now, while the head is at hand; sent once the body is in (see ResponseBuffer.hold).
            out.hold();
            heldLast = !responder.respond(in, c.isDraining());
            heldFile = responder.takeBody();
            start += parser.consumed();
            requestBody.start(parser);
            parser.reset();
            bodyPending = !requestBody.done();
            if (!bodyPending && !complete(c)) return;
        }
        if (start == end) start = end = 0;
        if (start < end || bodyPending) c.beginRequest();
        flush(c);
    }

    /**
     * The request is in, body and all: let its answer go.
     *
     * @return true to go on with the next request; false when the socket is full or the connection is closing
     */
    private boolean complete(EventConnection c) throws IOException {
        out.release();
        c.endRequest();
        last = heldLast;
        body = heldFile;
        heldFile = null;
        if (body != null) {
            bodySent = 0;
            // The head (and everything before it) must be out before the file's bytes follow it.
            if (!flush(c) || !sendBody(c)) return false;
        }
        if (last) {
            flush(c);
            c.close();
            return false;
        }
        return out.size() < FLUSH_AT || flush(c);
    }

    /**
     * A request we will not serve (malformed, too large, too slow): answer, then close, since we can no longer tell
     * where the next request would start. An answer held for this request is taken back first.
     */
    private void refuse(EventConnection c, int status) throws IOException {
        out.dropHeld();
        heldFile = close(heldFile);
        responder.fail(status);
        last = true;
        flush(c);
        c.close();
    }

    /** Copies the loop's input into this connection's buffer, dropping body bytes on the way when it can. */
    private void take(ByteBuffer input) throws IOException {
        if (start == end) {
            int skip = (int) Math.min(requestBody.skippable(), input.remaining());
            if (skip > 0) {
                input.position(input.position() + skip);
                requestBody.skipped(skip);
            }
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
            if (end + n > maxInput) throw new IOException("HTTP input beyond " + maxInput + " bytes held");
            int capacity = in.length;
            while (capacity < end + n) capacity *= 2;
            in = java.util.Arrays.copyOf(in, capacity);
        }
        input.get(in, end, n);
        end += n;
    }

    /** Writes the responses not held back. @return true when they are all out; false when the socket is full */
    private boolean flush(EventConnection c) throws IOException {
        ByteBuffer ready = out.contents();
        if (!ready.hasRemaining()) return true;
        boolean allOut = c.write(ready);
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
        body = close(body);
        return true;
    }

    private static HttpResponder.FileBody close(HttpResponder.FileBody file) {
        if (file == null) return null;
        try {
            file.file().close();
        } catch (IOException ignored) {
            // a read-only file: nothing was lost
        }
        return null;
    }
}

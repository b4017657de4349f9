package io.handoff.handler;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;

/** One connection's HTTP/1.1 exchange: parse, answer, repeat while the connection stays open. Not thread-safe. */
final class HttpSession {
    static final int INITIAL_READ_BUFFER = 8 * 1024;
    static final int INITIAL_WRITE_BUFFER = 4 * 1024;
    /** Pipelined responses are written once this many bytes are held back, even with more requests buffered. */
    private static final int FLUSH_AT = 32 * 1024;

    private final Connection connection;
    private final SocketChannel channel;
    private final HttpRequestParser parser;
    private final RequestBody requestBody;
    private final ResponseBuffer out;
    private final HttpResponder responder;
    /** Enough for the largest head the parser accepts, so a full buffer always means an outcome. */
    private final int maxReadBuffer;
    private final BufferPool inputs;
    private final BufferPool outputs;
    private byte[] in;
    private ByteBuffer inView;
    /** Unconsumed input is {@code in[start, end)}. */
    private int start;
    private int end;
    /** The answer to the request whose body is being read: does the connection stay open, and a file to follow. */
    private boolean keepAlive;
    private HttpResponder.FileBody file;
    /** A request's body is still arriving, its answer held. */
    private boolean bodyPending;

    /** Takes its buffers from the pools; {@link #release} gives them back. */
    HttpSession(Connection connection, StaticFiles files, HttpLimits limits, BufferPool inputs, BufferPool outputs) {
        this.connection = connection;
        this.channel = connection.channel();
        this.parser = new HttpRequestParser(limits);
        this.requestBody = new RequestBody(limits.maxBodyBytes(), limits.maxHeaderBytes());
        this.inputs = inputs;
        this.outputs = outputs;
        this.in = inputs.take();
        this.inView = ByteBuffer.wrap(in);
        this.out = new ResponseBuffer(outputs.take());
        this.responder = new HttpResponder(files, parser, out);
        this.maxReadBuffer = Math.max(INITIAL_READ_BUFFER, Integer.highestOneBit(parser.decidingBufferSize()) << 1);
    }

    /** Once the connection is done: the buffers go back to the pools (unless they grew), and this session is spent. */
    void release() {
        inputs.give(in);
        outputs.give(out.array());
    }

    /**
     * Serves requests until the connection ends. A read timeout in the middle of a request is answered 408; one
     * between requests (the idle timeout) ends the connection silently, by the exception, which the engine logs at
     * debug level.
     */
    void run() throws IOException {
        try {
            serve();
        } catch (SocketTimeoutException e) {
            if (!inRequest()) throw e;
            refuse(408);
        } finally {
            closeFile();
        }
    }

    /** Bytes of a request have arrived and not all of it: the request deadline runs. */
    private boolean inRequest() { return start < end || bodyPending; }

    private void serve() throws IOException {
        for (;;) {
            if (bodyPending) {
                start += requestBody.consume(in, start, end);
                if (requestBody.errorStatus() != 0) {
                    refuse(requestBody.errorStatus());
                    return;
                }
                if (!requestBody.done()) {
                    if (!fill()) return;
                    continue;
                }
                bodyPending = false;
                if (!complete()) return;
                continue;
            }
            switch (parser.parse(in, start, end)) {
                case NEED_MORE -> {
                    if (!fill()) return;
                }
                case ERROR -> {
                    refuse(parser.errorStatus());
                    return;
                }
                case COMPLETE -> {
                    if (parser.hasBody() && parser.expectContinue()) out.put(HttpResponses.CONTINUE);
                    // Answered now, while the head is at hand; sent once the body is in (see ResponseBuffer.hold).
                    out.hold();
                    keepAlive = responder.respond(in, connection.isDraining());
                    file = responder.takeBody();
                    start += parser.consumed();
                    requestBody.start(parser);
                    parser.reset();
                    bodyPending = !requestBody.done();
                    if (!bodyPending && !complete()) return;
                }
            }
        }
    }

    /**
     * The request is in, body and all: let its answer go. @return false when the connection ends here
     */
    private boolean complete() throws IOException {
        out.release();
        connection.endRequest();
        if (file != null) {
            sendBody(file);
            closeFile();
        }
        if (!keepAlive) {
            out.flush(connection);
            return false;
        }
        if (out.size() >= FLUSH_AT) out.flush(connection);
        return true;
    }

    /**
     * Reads more input, first writing the responses held back: this is the one point where we would otherwise wait
     * on the client while it waits on us.
     *
     * @return false at end of stream; a partial request then simply goes unanswered
     */
    private boolean fill() throws IOException {
        out.flush(connection);
        if (start == end) {
            start = end = 0;
        } else if (start > 0 && in.length - end < in.length / 4) {
            System.arraycopy(in, start, in, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == in.length) {
            if (in.length >= maxReadBuffer) {
                // The parser's limits make this unreachable; answer as if they had tripped, never overflow.
                refuse(431);
                return false;
            }
            byte[] bigger = new byte[Math.min(in.length * 2, maxReadBuffer)];
            System.arraycopy(in, start, bigger, 0, end - start);
            end -= start;
            start = 0;
            in = bigger;
            inView = ByteBuffer.wrap(in);
        }
        if (inRequest()) connection.beginRequest();
        int n;
        do {
            inView.limit(in.length).position(end);
            n = connection.read(inView);
        } while (n == 0);
        if (n < 0) return false;
        end += n;
        return true;
    }

    /**
     * A request we will not serve (malformed, too large, too slow): answer, then close, since we can no longer tell
     * where the next request would start. An answer held for this request is taken back first.
     */
    private void refuse(int status) throws IOException {
        out.dropHeld();
        closeFile();
        responder.fail(status);
        out.flush(connection);
        try {
            // FIN right after the answer, so the client sees it even if the caller is slow to close.
            channel.shutdownOutput();
        } catch (IOException ignored) {
            // The client is gone; there is nobody left to tell.
        }
    }

    /** A large file's body, after the head and everything buffered before it. */
    private void sendBody(HttpResponder.FileBody body) throws IOException {
        FileChannel f = body.file();
        out.flush(connection);
        long position = 0;
        while (position < body.size()) {
            long n = connection.transferFrom(f, position, body.size() - position);
            if (n <= 0 && position >= f.size()) {
                throw new IOException("file shrank while being sent: " + body.path());
            }
            position += n;
        }
    }

    private void closeFile() {
        if (file == null) return;
        try {
            file.file().close();
        } catch (IOException ignored) {
            // a read-only file: nothing was lost
        }
        file = null;
    }
}

package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;

/** One connection's HTTP/1.1 exchange: parse, answer, repeat while the connection stays open. Not thread-safe. */
final class HttpSession {
    static final int INITIAL_READ_BUFFER = 8 * 1024;
    static final int INITIAL_WRITE_BUFFER = 4 * 1024;
    /** Enough for the largest head the parser accepts, so a full buffer always means an outcome. */
    private static final int MAX_READ_BUFFER = Integer.highestOneBit(HttpRequestParser.MAX_HEAD - 1) << 1;
    /** Pipelined responses are written once this many bytes are held back, even with more requests buffered. */
    private static final int FLUSH_AT = 32 * 1024;

    private final SocketChannel channel;
    private final HttpRequestParser parser = new HttpRequestParser();
    private final ResponseBuffer out;
    private final HttpResponder responder;
    private final BufferPool inputs;
    private final BufferPool outputs;
    private byte[] in;
    private ByteBuffer inView;
    /** Unconsumed input is {@code in[start, end)}. */
    private int start;
    private int end;
    /** Bytes of a request body still to be read and dropped. */
    private long discard;
    /** True once the server is stopping or reloading: the next response says Connection: close. */
    private final java.util.function.BooleanSupplier draining;

    /** Takes its buffers from the pools; {@link #release} gives them back. */
    HttpSession(SocketChannel channel, StaticFiles files, java.util.function.BooleanSupplier draining,
            BufferPool inputs, BufferPool outputs) {
        this.channel = channel;
        this.draining = draining;
        this.inputs = inputs;
        this.outputs = outputs;
        this.in = inputs.take();
        this.inView = ByteBuffer.wrap(in);
        this.out = new ResponseBuffer(outputs.take());
        this.responder = new HttpResponder(files, parser, out);
    }

    /** Once the connection is done: the buffers go back to the pools (unless they grew), and this session is spent. */
    void release() {
        inputs.give(in);
        outputs.give(out.array());
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
                    boolean keepAlive = responder.respond(in, draining.getAsBoolean());
                    HttpResponder.FileBody body = responder.takeBody();
                    if (body != null) sendBody(body);
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

    /** A protocol error: answer, then close, since we can no longer tell where the next request would start. */
    private void fail(int status) throws IOException {
        responder.fail(status);
        out.flush(channel);
        try {
            // FIN right after the answer, so the client sees it even if the caller is slow to close.
            channel.shutdownOutput();
        } catch (IOException ignored) {
            // The client is gone; there is nobody left to tell.
        }
    }

    /** A large file's body, after the head and everything buffered before it. */
    private void sendBody(HttpResponder.FileBody body) throws IOException {
        try (FileChannel file = body.file()) {
            out.flush(channel);
            long position = 0;
            while (position < body.size()) {
                long n = file.transferTo(position, body.size() - position, channel);
                if (n <= 0 && position >= file.size()) {
                    throw new IOException("file shrank while being sent: " + body.path());
                }
                position += n;
            }
        }
    }
}

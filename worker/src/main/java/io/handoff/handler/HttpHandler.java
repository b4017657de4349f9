package io.handoff.handler;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A small HTTP/1.1 server: GET and HEAD, keep-alive and pipelining, {@code hello\n} at {@code /}, and with a root
 * directory the files under it (never anything outside it). Everything per connection lives in an
 * {@link HttpSession} (blocking) or an {@link HttpEventSession} (event loop); this object only holds configuration,
 * so it is safe to share between connections.
 */
public final class HttpHandler implements Handler, EventHandler {
    private final StaticFiles files;
    /** Spare session buffers: enough for the connections that come and go at once in a busy worker. */
    private final BufferPool inputs = new BufferPool(HttpSession.INITIAL_READ_BUFFER, 64);
    private final BufferPool outputs = new BufferPool(HttpSession.INITIAL_WRITE_BUFFER, 64);
    private final HttpLimits limits;

    /** @param root the directory to serve files from, or null to answer hello only */
    public HttpHandler(Path root) throws IOException { this(root, HttpLimits.DEFAULT); }

    /**
     * @param root   the directory to serve files from, or null to answer hello only
     * @param limits the largest request head and body accepted
     */
    public HttpHandler(Path root, HttpLimits limits) throws IOException {
        this.files = root == null ? null : new StaticFiles(root);
        this.limits = limits;
    }

    /** Hello only, no files. */
    public HttpHandler() {
        this.files = null;
        this.limits = HttpLimits.DEFAULT;
    }

    @Override
    public void handle(Connection connection) throws IOException {
        HttpSession session = new HttpSession(connection, files, limits, inputs, outputs);
        try {
            session.run();
        } finally {
            session.release();
        }
    }

    @Override
    public EventSession open(EventConnection connection) { return new HttpEventSession(files, limits); }
}

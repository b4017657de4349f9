package io.handoff.handler;

import java.nio.ByteBuffer;

/** RFC 862: every byte received is sent back, until the client closes. Partial reads and writes are the norm. */
public final class EchoHandler implements Handler, EventHandler {
    private static final int BUFFER = 16 * 1024;

    /**
     * Stateless, so one object serves every connection. A write the socket cannot take whole is kept by the
     * connection, which reads no more until it is out: the client's sending stalls until it reads its echo.
     */
    private static final EventSession ECHO = (connection, input) -> connection.write(input);

    @Override
    public void handle(Connection connection) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        while (connection.read(buf) >= 0) {
            buf.flip();
            connection.writeFully(buf);
            buf.clear();
        }
    }

    @Override
    public EventSession open(EventConnection connection) { return ECHO; }
}

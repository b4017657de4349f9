package io.handoff.handler;

import java.nio.ByteBuffer;

/** RFC 862: every byte received is sent back, until the client closes. Partial reads and writes are the norm. */
public final class EchoHandler implements Handler {
    private static final int BUFFER = 16 * 1024;

    @Override
    public void handle(Connection connection) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        while (connection.channel().read(buf) >= 0) {
            buf.flip();
            connection.writeFully(buf);
            buf.clear();
        }
    }
}

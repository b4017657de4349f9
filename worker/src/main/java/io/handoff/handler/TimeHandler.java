package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;

import io.handoff.datagram.BuiltInDatagrams;

/** RFC 868 over TCP: 4 bytes, seconds since 1900 big-endian, then close; what the client sends is ignored. */
public final class TimeHandler implements Handler, EventHandler {
    private static final EventSession IGNORE_INPUT = (connection, input) -> input.position(input.limit());

    @Override
    public void handle(Connection connection) throws Exception {
        connection.writeFully(ByteBuffer.wrap(BuiltInDatagrams.time()));
    }

    @Override
    public EventSession open(EventConnection connection) throws IOException {
        connection.write(ByteBuffer.wrap(BuiltInDatagrams.time()));
        connection.close();
        return IGNORE_INPUT;
    }
}

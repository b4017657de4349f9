package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;

import io.handoff.datagram.BuiltInDatagrams;

/** RFC 867 over TCP: the date and time as a line of text, then close; what the client sends is ignored. */
public final class DaytimeHandler implements Handler, EventHandler {
    private static final EventSession IGNORE_INPUT = (connection, input) -> input.position(input.limit());

    @Override
    public void handle(Connection connection) throws Exception {
        connection.writeFully(ByteBuffer.wrap(BuiltInDatagrams.daytime()));
    }

    @Override
    public EventSession open(EventConnection connection) throws IOException {
        connection.write(ByteBuffer.wrap(BuiltInDatagrams.daytime()));
        connection.close();
        return IGNORE_INPUT;
    }
}

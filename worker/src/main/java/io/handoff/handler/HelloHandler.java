package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The textbook daytime-style greeter: {@code Hello <client-ip>\n}, then close. */
public final class HelloHandler implements Handler, EventHandler {
    /** After the greeting the connection is closing; whatever the client sends is of no interest. */
    private static final EventSession IGNORE_INPUT = (connection, input) -> input.position(input.limit());

    @Override
    public void handle(Connection connection) throws Exception {
        connection.writeFully(ByteBuffer.wrap(line(connection.clientName())));
    }

    @Override
    public EventSession open(EventConnection connection) throws IOException {
        connection.write(ByteBuffer.wrap(line(connection.clientName())));
        connection.close();
        return IGNORE_INPUT;
    }

    private static byte[] line(String clientName) {
        return ("Hello " + clientName + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}

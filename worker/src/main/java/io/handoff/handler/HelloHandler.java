package io.handoff.handler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The textbook daytime-style greeter: {@code Hello <client-ip>\n}, then close. */
public final class HelloHandler implements Handler {
    @Override
    public void handle(Connection connection) throws Exception {
        byte[] line = ("Hello " + connection.clientName() + "\n").getBytes(StandardCharsets.US_ASCII);
        connection.writeFully(ByteBuffer.wrap(line));
    }
}

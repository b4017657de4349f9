package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

import io.handoff.datagram.BuiltInDatagrams;

/**
 * The TCP form of a protocol that answers once and closes, ignoring what the client sends: RFC 867 daytime (the date
 * and time as a line of text) and RFC 868 time (4 bytes, seconds since 1900 big-endian). The answer is the one the
 * datagram form gives.
 */
public final class AnswerAndClose implements Handler, EventHandler {
    private static final EventSession IGNORE_INPUT = (connection, input) -> input.position(input.limit());

    private final Supplier<byte[]> answer;

    private AnswerAndClose(Supplier<byte[]> answer) { this.answer = answer; }

    static AnswerAndClose daytime() { return new AnswerAndClose(BuiltInDatagrams::daytime); }

    static AnswerAndClose time() { return new AnswerAndClose(BuiltInDatagrams::time); }

    @Override
    public void handle(Connection connection) throws Exception {
        connection.writeFully(ByteBuffer.wrap(answer.get()));
    }

    @Override
    public EventSession open(EventConnection connection) throws IOException {
        connection.write(ByteBuffer.wrap(answer.get()));
        connection.close();
        return IGNORE_INPUT;
    }
}

package io.handoff.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.handoff.protocol.Message.Accepted;
import io.handoff.protocol.Message.Heartbeat;
import io.handoff.protocol.Message.Listeners;
import io.handoff.protocol.Message.Ready;
import io.handoff.protocol.Message.Stop;

/** Frames survive any split of the byte stream; garbage is refused, not misread. (Fd-carrying frames: native-tests.) */
class CodecTest {
    private static final List<Message> SAMPLE = List.of(
            new Ready(4242), new Accepted(7L, 253, 300), new Heartbeat(12, 1_000_000_000_000L), new Stop(30_000),
            new Accepted(Long.MAX_VALUE, 0, 0), new Listeners(List.of(), List.of()),
            new Message.DatagramStats(1, 2, 3, Long.MAX_VALUE, 0));

    private static ByteBuffer encodeAll(List<Message> messages) {
        ByteBuffer out = ByteBuffer.allocate(Codec.MAX_FRAME * messages.size());
        for (Message m : messages) assertEquals(List.of(), Codec.encode(m, out));
        return out.flip();
    }

    @Test
    void roundTripsEveryPlainMessageSplitAtEveryByteBoundary() throws Exception {
        ByteBuffer all = encodeAll(SAMPLE);
        for (int cut = 0; cut <= all.limit(); cut++) {
            Codec.Reader reader = new Codec.Reader();
            List<Message> got = new ArrayList<>();
            reader.feed(all.duplicate().limit(cut), List.of(), got);
            reader.feed(all.duplicate().position(cut), List.of(), got);
            assertEquals(SAMPLE, got, "split at " + cut);
        }
    }

    @Test
    void oneByteAtATimeStillYieldsEveryMessage() throws Exception {
        ByteBuffer all = encodeAll(SAMPLE);
        Codec.Reader reader = new Codec.Reader();
        List<Message> got = new ArrayList<>();
        for (int i = 0; i < all.limit(); i++) reader.feed(all.duplicate().position(i).limit(i + 1), List.of(), got);
        assertEquals(SAMPLE, got);
    }

    @Test
    void refusesBadLengthsUnknownTypesAndMissingFds() {
        assertThrows(Codec.ProtocolException.class, () -> feed(new byte[] {0, 0, 0, 0}));
        assertThrows(Codec.ProtocolException.class, () -> feed(new byte[] {0x7f, 0, 0, 0, 1}));
        assertThrows(Codec.ProtocolException.class, () -> feed(new byte[] {0, 0, 0, 1, 99}));
        // A handoff frame announcing 2 fds with none attached must not be taken for a valid one.
        assertThrows(Codec.ProtocolException.class,
                () -> feed(new byte[] {0, 0, 0, 15, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0}));
        // A peer address longer than any sockaddr.
        assertThrows(Codec.ProtocolException.class,
                () -> feed(new byte[] {0, 0, 0, 13, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 29}));
        // Likewise a listeners frame announcing one listening socket that did not come with it.
        assertThrows(Codec.ProtocolException.class, () -> feed(new byte[] {0, 0, 0, 4, 9, 0, 1, 0}));
        // A frame whose fields overrun its own length.
        assertThrows(Codec.ProtocolException.class, () -> feed(new byte[] {0, 0, 0, 2, 1, 0}));
    }

    private static void feed(byte[] bytes) throws Exception {
        new Codec.Reader().feed(ByteBuffer.wrap(bytes), List.of(), new ArrayList<>());
    }
}

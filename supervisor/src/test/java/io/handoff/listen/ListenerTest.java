package io.handoff.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import org.junit.jupiter.api.Test;

/** The socket options a listener gives every connection accepted from it, checked on real sockets. */
class ListenerTest {

    @Test
    void acceptedConnectionsInheritTcpNoDelayAndNotSentLowat() throws Exception {
        try (Listener l = Listener.bind(BindAddress.parse("127.0.0.1:0"), 16);
                SocketChannel client = SocketChannel.open(l.channel().getLocalAddress());
                SocketChannel accepted = l.channel().accept()) {
            assertTrue(accepted.getOption(StandardSocketOptions.TCP_NODELAY), "TCP_NODELAY came with the connection");
            assertEquals(Listener.NOTSENT_LOWAT, io.handoff.unix.Sockets.notSentLowat(accepted),
                    "TCP_NOTSENT_LOWAT came with the connection");
        }
    }

    @Test
    void deferredAcceptWaitsForTheClientsFirstBytes() throws Exception {
        try (Listener l = Listener.bind(BindAddress.parse("127.0.0.1:0"), 16)) {
            l.deferAcceptUntilData();
            l.channel().configureBlocking(false);
            try (SocketChannel client = SocketChannel.open(l.channel().getLocalAddress())) {
                Thread.sleep(100);
                assertNull(l.channel().accept(), "a connected but silent client is not accepted yet");
                client.write(ByteBuffer.wrap("GET / HTTP/1.1\r\n".getBytes()));
                SocketChannel accepted = null;
                for (int i = 0; i < 200 && accepted == null; i++) {
                    accepted = l.channel().accept();
                    if (accepted == null) Thread.sleep(5);
                }
                assertNotNull(accepted, "accepted once its first bytes arrived (well before the 1 s fallback)");
                try (SocketChannel a = accepted) {
                    assertEquals(client.getLocalAddress(), a.getRemoteAddress());
                }
            }
        }
    }

    @Test
    void aSilentClientIsStillAcceptedAfterAboutASecond() throws Exception {
        try (Listener l = Listener.bind(BindAddress.parse("127.0.0.1:0"), 16)) {
            l.deferAcceptUntilData();
            l.channel().configureBlocking(false);
            try (SocketChannel client = SocketChannel.open(l.channel().getLocalAddress())) {
                SocketChannel accepted = null;
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (accepted == null && System.nanoTime() < deadline) {
                    accepted = l.channel().accept();
                    if (accepted == null) Thread.sleep(20);
                }
                assertNotNull(accepted, "a client that never speaks still reaches the server");
                try (SocketChannel a = accepted) {
                    assertEquals(client.getLocalAddress(), a.getRemoteAddress());
                }
            }
        }
    }
}

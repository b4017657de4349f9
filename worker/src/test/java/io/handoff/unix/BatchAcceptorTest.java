package io.handoff.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The client address accept(2) writes travels with the fd, and the worker must see exactly what the JDK's own
 * accept/getpeername would report: for IPv4, IPv6, and IPv4 clients of a dual-stack listener.
 */
class BatchAcceptorTest {

    @Test
    void ipv4PeerMatchesTheClientsOwnAddress() throws Exception {
        checkPeer(StandardProtocolFamily.INET, "127.0.0.1", "127.0.0.1");
    }

    @Test
    void ipv6PeerMatchesTheClientsOwnAddress() throws Exception {
        assumeTrue(ipv6Loopback(), "no IPv6 loopback here");
        checkPeer(StandardProtocolFamily.INET6, "::1", "::1");
    }

    @Test
    void ipv4ClientOfADualStackListenerComesOutAsIpv4() throws Exception {
        assumeTrue(ipv6Loopback(), "no IPv6 here");
        InetSocketAddress peer = checkPeer(StandardProtocolFamily.INET6, "::", "127.0.0.1");
        assertInstanceOf(Inet4Address.class, peer.getAddress());
    }

    @Test
    void somethingThatIsNotAnInetSockaddrDecodesToNull() {
        assertNull(Sockets.decodePeer(new byte[0]));
        assertNull(Sockets.decodePeer(new byte[] {1, 0, 0, 0, 0, 0, 0, 0})); // AF_UNIX
    }

    @Test
    void clientsGoneBeforeTheirFirstByteAreClosedAndNotHandedOn() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener.configureBlocking(false);
            InetSocketAddress at = (InetSocketAddress) listener.getLocalAddress();
            Sockets.BatchAcceptor acceptor = new Sockets.BatchAcceptor();
            List<Fd> fds = new ArrayList<>();
            List<byte[]> peers = new ArrayList<>();
            assertEquals(0, acceptor.accept(listener, fds, peers, 8, true)); // native code loaded before counting
            long fdsBefore = openFds();
            List<SocketChannel> open = new ArrayList<>();
            try {
                SocketChannel closed = SocketChannel.open(at);               // connects, closes: gone
                int closedPort = port(closed);
                closed.close();
                SocketChannel reset = SocketChannel.open(at);                // connects, resets: gone
                int resetPort = port(reset);
                reset.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                reset.close();
                SocketChannel spoke = SocketChannel.open(at);                // a request, then its FIN: served
                spoke.write(java.nio.ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes()));
                spoke.shutdownOutput();
                SocketChannel silent = SocketChannel.open(at);               // nothing yet, still there: served
                open.add(spoke);
                open.add(silent);
                java.util.Set<Integer> expected = java.util.Set.of(port(spoke), port(silent));
                Thread.sleep(100); // loopback: the FIN and the RST are long processed by then
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (fds.size() < 2 && System.nanoTime() < deadline) {
                    if (acceptor.accept(listener, fds, peers, 8, true) == 0) Thread.sleep(5);
                }
                assertEquals(0, acceptor.accept(listener, fds, peers, 8, true), "nothing else is pending");
                java.util.Set<Integer> got = new java.util.HashSet<>();
                for (byte[] p : peers) got.add(Sockets.decodePeer(p).getPort());
                assertEquals(expected, got, "closed=" + closedPort + " reset=" + resetPort);
                // The closed one surely reached accept and was dropped there; the reset one may have been
                // aborted by the kernel before accept (ECONNABORTED) instead.
                assertTrue(acceptor.droppedSilentlyGone() >= 1, "dropped " + acceptor.droppedSilentlyGone());
                for (Fd fd : fds) fd.close();
            } finally {
                for (SocketChannel c : open) c.close();
            }
            assertEquals(fdsBefore, openFds(), "every fd accepted here is closed again");
        }
    }

    @Test
    void aJdkAcceptedConnectionIsClosedOnlyWhenItsClientLeftWithoutAByte() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            InetSocketAddress at = (InetSocketAddress) listener.getLocalAddress();
            try (SocketChannel spoke = SocketChannel.open(at); SocketChannel silent = SocketChannel.open(at)) {
                SocketChannel.open(at).close();
                spoke.write(java.nio.ByteBuffer.wrap(new byte[] {'G'}));
                spoke.shutdownOutput();
                Thread.sleep(100); // loopback: the byte and the FINs are long processed by then
                try (SocketChannel a = listener.accept(); SocketChannel b = listener.accept();
                        SocketChannel c = listener.accept()) {
                    for (SocketChannel ch : List.of(a, b, c)) {
                        int port = ((InetSocketAddress) ch.getRemoteAddress()).getPort();
                        boolean gone = port != port(spoke) && port != port(silent);
                        assertEquals(gone, Sockets.closeIfGoneWithoutData(ch), "client port " + port);
                        assertEquals(!gone, ch.isOpen(), "client port " + port);
                    }
                }
            }
        }
    }

    private static int port(SocketChannel c) throws java.io.IOException {
        return ((InetSocketAddress) c.getLocalAddress()).getPort();
    }

    private static long openFds() throws java.io.IOException {
        try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static InetSocketAddress checkPeer(StandardProtocolFamily family, String bindHost, String connectHost)
            throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(family)) {
            listener.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0));
            listener.configureBlocking(false);
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress(connectHost, port))) {
                List<Fd> fds = new ArrayList<>();
                List<byte[]> peers = new ArrayList<>();
                Sockets.BatchAcceptor acceptor = new Sockets.BatchAcceptor();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (acceptor.accept(listener, fds, peers, 8) == 0 && System.nanoTime() < deadline) Thread.sleep(5);
                assertEquals(1, fds.size(), "one connection accepted");
                InetSocketAddress decoded = Sockets.decodePeer(peers.get(0));
                assertEquals(client.getLocalAddress(), decoded);
                try (SocketChannel adopted = Sockets.adopt(fds.get(0), family, peers.get(0))) {
                    assertEquals(client.getLocalAddress(), adopted.getRemoteAddress());
                }
                return decoded;
            }
        }
    }

    private static boolean ipv6Loopback() {
        try (ServerSocketChannel probe = ServerSocketChannel.open(StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}

package io.handoff.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
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

package io.handoff.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handoff.unix.DatagramPort;

class DatagramListenerTest {
    @TempDir
    Path tmp;

    @Test
    void parsesEveryDatagramForm() {
        BindAddress v4 = BindAddress.parse("udp:127.0.0.1:5353");
        assertTrue(v4.datagram());
        assertEquals(new InetSocketAddress("127.0.0.1", 5353), v4.address());
        assertEquals(5353, ((InetSocketAddress) BindAddress.parse("udp:[::1]:5353").address()).getPort());
        assertTrue(((InetSocketAddress) BindAddress.parse("udp::53").address()).getAddress().isAnyLocalAddress());
        BindAddress unix = BindAddress.parse("unixgram:/run/x.sock");
        assertTrue(unix.datagram());
        assertEquals(UnixDomainSocketAddress.of("/run/x.sock"), unix.address());
        assertFalse(BindAddress.parse("127.0.0.1:80").datagram());
        assertFalse(BindAddress.parse("unix:/run/x.sock").datagram());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BindAddress.parse("udp:bad"));
        assertTrue(e.getMessage().contains("'udp:bad'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BindAddress.parse("udp:unix:/x"));
        assertThrows(IllegalArgumentException.class, () -> BindAddress.parse("unixgram:"));
        assertThrows(IllegalArgumentException.class, () -> BindAddress.parse("udp:127.0.0.1:70000"));
    }

    @Test
    void bindsUdpOnPortZeroAndReusePortSocketsShareThePort() throws Exception {
        DatagramListener first = DatagramListener.bind(BindAddress.parse("udp:127.0.0.1:0"), true);
        DatagramListener second = first.bindAnother();
        try {
            assertTrue(first.describe().startsWith("udp:127.0.0.1:"), first.describe());
            assertEquals(first.describe(), second.describe());
            assertThrows(Listener.ListenException.class,
                    () -> DatagramListener.bind(BindAddress.parse(first.describe()), false), "taken without reuseport");
        } finally {
            first.close();
            second.close();
        }
    }

    @Test
    void aStaleUnixDatagramFileIsReplacedAndALiveOneRefused() throws Exception {
        Path path = tmp.resolve("d.sock");
        DatagramPort.bindUnix(path).close(); // its file stays behind, like a server killed with -9
        assertTrue(Files.exists(path));
        DatagramListener l = DatagramListener.bind(BindAddress.parse("unixgram:" + path), false);
        try {
            assertEquals("unixgram:" + path, l.describe());
            Listener.ListenException e = assertThrows(Listener.ListenException.class,
                    () -> DatagramListener.bind(BindAddress.parse("unixgram:" + path), false));
            assertTrue(e.getMessage().contains("already bound"), e.getMessage());
        } finally {
            l.close();
        }
        assertFalse(Files.exists(path), "close removes the file");
    }

    @Test
    void aUdpListenerReceivesWhatIsSentToIt() throws Exception {
        DatagramListener l = DatagramListener.bind(BindAddress.parse("udp:127.0.0.1:0"), false);
        try (DatagramSocket c = new DatagramSocket()) {
            int port = Integer.parseInt(l.describe().substring(l.describe().lastIndexOf(':') + 1));
            c.send(new DatagramPacket(new byte[] {7}, 1, InetAddress.getLoopbackAddress(), port));
            DatagramPort.Receiver r = l.port().receiver(100);
            assertEquals(1, r.receive(5000));
            assertEquals(7, r.payload().get(0));
        } finally {
            l.close();
        }
    }
}

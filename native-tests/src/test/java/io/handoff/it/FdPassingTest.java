package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.handoff.unix.Fd;
import io.handoff.unix.NativeException;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * SCM_RIGHTS between two real JVMs ({@link FdPeer} is the other one): full batches, several batches in a row, a dead
 * peer, a truncated control buffer. Every case ends with no fd leaked on either side: the sender's fd count is
 * back at its baseline, the peer's too, and every client sees its connection end (which only happens when no copy
 * of the server side is left open anywhere).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FdPassingTest {
    @TempDir
    Path tmp;

    private ServerSocketChannel rendezvous;
    private ServerSocketChannel tcp;
    private final List<Socket> clients = new ArrayList<>();
    private Process peer;
    private UnixLink link;
    private final List<String> peerOut = new ArrayList<>();

    @BeforeEach
    void listen() throws Exception {
        rendezvous = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        rendezvous.bind(UnixDomainSocketAddress.of(tmp.resolve("peer.sock")));
        tcp = ServerSocketChannel.open();
        tcp.bind(new InetSocketAddress("127.0.0.1", 0));
        Sockets.ensureAvailable();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Socket c : clients) c.close();
        if (link != null) link.close();
        rendezvous.close();
        tcp.close();
        if (peer != null) {
            peer.destroyForcibly();
            peer.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void startPeer(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(ServerProcess.javaCommand());
        cmd.set(cmd.size() - 1, FdPeer.class.getName());
        cmd.add(tmp.resolve("peer.sock").toString());
        cmd.addAll(List.of(args));
        peer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        link = UnixLink.of(Sockets.detach(rendezvous.accept()));
    }

    /** Opens {@code n} loopback TCP connections; returns the server sides as raw fds (the clients stay here). */
    private List<Fd> serverSides(int n) throws Exception {
        List<Fd> fds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket c = new Socket();
            c.connect(tcp.getLocalAddress(), 10_000);
            c.setSoTimeout(20_000);
            clients.add(c);
            fds.add(Sockets.detach(tcp.accept()));
        }
        return fds;
    }

    private List<String> awaitPeer() throws Exception {
        assertTrue(peer.waitFor(60, TimeUnit.SECONDS), "peer did not finish");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8))) {
            r.lines().forEach(peerOut::add);
        }
        assertEquals(0, peer.exitValue(), peerOut.toString());
        return peerOut;
    }

    private static String line(List<String> out, String prefix) {
        return out.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + prefix + "' in " + out));
    }

    private static ByteBuffer oneByte() {
        return ByteBuffer.allocateDirect(1).put((byte) 'x').flip();
    }

    private static int ownFdCount() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count() - 1;
        }
    }

    /**
     * This JVM's fd count is back at (or below) its baseline. Below is fine: the JDK closes pipes of earlier child
     * processes whenever it gets to it; a leak shows as growth by the number of fds the case moved.
     */
    private static void assertNoGrowth(int baseline) throws Exception {
        int now = ownFdCount();
        assertTrue(now <= baseline, "sender leaked fds: " + baseline + " before, " + now + " after");
    }

    /** Every client got exactly "#i\n" from the peer, in the order the fds were sent, then end of stream. */
    private void assertClientsServedInOrder() throws Exception {
        for (int i = 0; i < clients.size(); i++) {
            String got = new String(clients.get(i).getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertEquals("#" + i + "\n", got, "client " + i);
        }
    }

    private void assertEveryClientSeesEnd() throws Exception {
        for (Socket c : clients) assertEquals(-1, c.getInputStream().read(), "a copy of the server side leaked");
    }

    @Test
    void aFullBatchOf253FdsTravelsInOneMessage() throws Exception {
        int baseline = ownFdCount();
        startPeer("serve", "253");
        List<Fd> fds = serverSides(UnixLink.MAX_FDS);
        ByteBuffer data = oneByte();
        assertEquals(1, link.send(data, fds, false));
        fds.forEach(Fd::close); // the peer holds its own copies now
        List<String> out = awaitPeer();
        assertEquals("result served=253 bytes=1", line(out, "result"));
        assertClientsServedInOrder();
        assertEquals(line(out, "fds-before").split(" ")[1], line(out, "fds-after").split(" ")[1], out.toString());
        link.close();
        for (Socket c : clients) c.close();
        clients.clear();
        assertNoGrowth(baseline);
    }

    @Test
    void batchesBackToBackKeepTheirFdsAndOrder() throws Exception {
        startPeer("serve", "516");
        for (int batch : new int[] {253, 253, 10}) {
            List<Fd> fds = serverSides(batch);
            link.sendFully(oneByte(), fds);
            fds.forEach(Fd::close);
        }
        List<String> out = awaitPeer();
        assertEquals("result served=516 bytes=3", line(out, "result"));
        assertClientsServedInOrder();
        assertEquals(line(out, "fds-before").split(" ")[1], line(out, "fds-after").split(" ")[1], out.toString());
    }

    @Test
    void sendingToADeadPeerFailsWithEpipeAndTheFdsStayWithTheSender() throws Exception {
        startPeer("exit");
        assertTrue(peer.waitFor(30, TimeUnit.SECONDS));
        int baseline = ownFdCount();
        List<Fd> fds = serverSides(5);
        NativeException e = assertThrows(NativeException.class, () -> link.send(oneByte(), fds, false));
        assertTrue(e.isPeerGone(), e.getMessage());
        assertTrue(e.getMessage().startsWith("sendmsg: EPIPE"), e.getMessage());
        assertTrue(fds.stream().allMatch(Fd::isOpen), "a failed send leaves the fds with their owner");
        fds.forEach(Fd::close);
        assertEveryClientSeesEnd();
        for (Socket c : clients) c.close();
        clients.clear();
        assertNoGrowth(baseline);
    }

    @Test
    void aTruncatedControlBufferIsReportedAndLeaksNothing() throws Exception {
        startPeer("ctrunc");
        List<Fd> fds = serverSides(10);
        link.send(oneByte(), fds, false);
        fds.forEach(Fd::close);
        List<String> out = awaitPeer();
        assertEquals("result ctrunc bytes=1 kept=0", line(out, "result"));
        assertEquals(line(out, "fds-before").split(" ")[1], line(out, "fds-after").split(" ")[1], out.toString());
        // The one fd that fit was closed by the receiver, the nine that did not by the kernel.
        assertEveryClientSeesEnd();
    }

    @Test
    void impossibleMessagesAreRejectedBeforeTheSyscall() throws Exception {
        startPeer("exit");
        List<Fd> tooMany = serverSides(UnixLink.MAX_FDS + 1);
        assertThrows(IllegalArgumentException.class, () -> link.send(oneByte(), tooMany, false));
        // Zero data bytes on a stream socket would silently lose the fds.
        assertThrows(IllegalArgumentException.class,
                () -> link.send(ByteBuffer.allocateDirect(0), tooMany.subList(0, 1), false));
        assertThrows(IllegalArgumentException.class,
                () -> link.send(ByteBuffer.allocate(1), tooMany.subList(0, 1), false));
        tooMany.forEach(Fd::close);
    }
}

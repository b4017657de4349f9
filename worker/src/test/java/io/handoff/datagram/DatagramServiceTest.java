package io.handoff.datagram;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.handoff.unix.DatagramPort;

/** Real UDP and Unix datagram sockets, served in this JVM by a {@link DatagramService}. */
@Timeout(60)
class DatagramServiceTest {
    private static final int MAX = 65_507;
    private DatagramService service;
    private DatagramPort client;
    private DatagramPort.Receiver clientReceiver;
    private byte[] serverAddress;

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception {
        if (service != null) service.stop(Duration.ofSeconds(1));
        if (client != null) client.close();
    }

    /** Serves {@code handler} on a fresh UDP socket on 127.0.0.1; returns its address. */
    private InetSocketAddress serveUdp(DatagramHandler handler, DatagramService.Where where, int maxBytes)
            throws Exception {
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        InetSocketAddress address = (InetSocketAddress) ch.getLocalAddress();
        DatagramPort port = DatagramPort.of(ch, StandardProtocolFamily.INET);
        port.setReceiveBuffer(1 << 20);
        service = new DatagramService(List.of(new DatagramService.Socket(port, "udp")), handler, where, 2, 8, maxBytes);
        service.start();
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = DatagramPort.of(c, StandardProtocolFamily.INET);
        clientReceiver = client.receiver(70_000);
        serverAddress = client.encode(address);
        return address;
    }

    private byte[] ask(byte[] payload) throws Exception {
        send(payload);
        return read();
    }

    /** Natively: the JDK channel's write() skips an empty buffer instead of sending an empty datagram. */
    private void send(byte[] payload) throws Exception {
        assertTrue(client.send(ByteBuffer.wrap(payload), serverAddress));
    }

    private byte[] read() throws Exception {
        int n = clientReceiver.receive(5000);
        assertTrue(n >= 0, "no answer within 5 s: " + n);
        byte[] out = new byte[n];
        clientReceiver.payload().get(out);
        return out;
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    @ParameterizedTest
    @EnumSource(DatagramService.Where.class)
    void echoesEveryLengthFromEmptyToTheUdpMaximum(DatagramService.Where where) throws Exception {
        serveUdp(BuiltInDatagrams.of("echo"), where, MAX);
        for (int n : new int[] {0, 1, 2, 1472, 1473, 9000, 65_000, MAX}) {
            assertArrayEquals(bytes(n), ask(bytes(n)), "echo of " + n + " bytes");
        }
        assertEquals(8, service.in());
        // The answer can arrive before the thread that sent it counts it.
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (service.out() < 8 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(8, service.out());
        assertEquals(0, service.dropped());
    }

    @Test
    void aDatagramLargerThanTheLimitIsDroppedWholeAndTheNextIsServed() throws Exception {
        serveUdp(BuiltInDatagrams.of("echo"), DatagramService.Where.RECEIVER, 1000);
        send(bytes(1001));
        assertArrayEquals(bytes(1000), ask(bytes(1000)));
        assertEquals(1, service.dropped(), "the 1001-byte datagram");
        assertEquals(1, service.in());
    }

    @Test
    void aThrowingHandlerIsCountedAndTheLoopGoesOn() throws Exception {
        serveUdp(d -> {
            if (d.payload().get(0) % 2 == 0) throw new IllegalStateException("even datagram");
            d.reply(d.payload());
        }, DatagramService.Where.RECEIVER, MAX);
        for (int i = 0; i < 5; i++) send(new byte[] {(byte) i}); // 0, 2, 4 throw
        // Two receive threads: the answers may come in either order.
        assertEquals(java.util.Set.of(1, 3), java.util.Set.of((int) read()[0], (int) read()[0]));
        long deadline = System.nanoTime() + 2_000_000_000L; // datagram 4 may still be on the other thread
        while (service.failed() < 3 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(3, service.failed());
        assertEquals(5, service.in());
    }

    @Test
    void timeDaytimeAndHelloAnswerAnyDatagram() throws Exception {
        serveUdp(BuiltInDatagrams.of("time"), DatagramService.Where.RECEIVER, MAX);
        long seconds = ByteBuffer.wrap(ask(new byte[0])).getInt() & 0xffffffffL;
        long now = System.currentTimeMillis() / 1000 + BuiltInDatagrams.SECONDS_1900_TO_1970;
        assertTrue(Math.abs((now & 0xffffffffL) - seconds) <= 2, "time " + seconds + " vs " + now);
        service.handler(BuiltInDatagrams.of("daytime"));
        String line = new String(ask("what time?".getBytes()), StandardCharsets.US_ASCII);
        assertTrue(line.endsWith("\r\n"), line);
        ZonedDateTime t = ZonedDateTime.parse(line.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
        assertTrue(Math.abs(t.toEpochSecond() - System.currentTimeMillis() / 1000) <= 2, line);
        service.handler(BuiltInDatagrams.of("hello"));
        assertEquals("Hello 127.0.0.1\n", new String(ask(new byte[] {'x'}), StandardCharsets.US_ASCII));
    }

    @Test
    void unixDatagramsAreAnsweredToABoundSenderAndCountedForAnUnboundOne() throws Exception {
        Path serverPath = dir.resolve("s.sock");
        DatagramPort server = DatagramPort.bindUnix(serverPath);
        service = new DatagramService(List.of(new DatagramService.Socket(server, "unixgram")),
                BuiltInDatagrams.of("echo"), DatagramService.Where.RECEIVER, 1, 1, MAX);
        service.start();
        Path clientPath = dir.resolve("c.sock");
        try (DatagramPort c = DatagramPort.bindUnix(clientPath)) {
            byte[] to = c.encode(java.net.UnixDomainSocketAddress.of(serverPath));
            assertTrue(c.send(ByteBuffer.wrap(bytes(MAX)), to));
            DatagramPort.Receiver r = c.receiver(MAX);
            int n = r.receive(5000);
            assertEquals(MAX, n);
            byte[] got = new byte[n];
            r.payload().get(got);
            assertArrayEquals(bytes(MAX), got);
            assertEquals(serverPath.toString(), ((java.net.UnixDomainSocketAddress) DatagramPort.decode(r.sender()))
                    .getPath().toString());
        }
        // The answer goes nowhere: the client's path is gone.
        try (DatagramPort c = DatagramPort.bindUnix(dir.resolve("gone.sock"))) {
            Files.delete(dir.resolve("gone.sock"));
            assertTrue(c.send(ByteBuffer.wrap(new byte[] {1}), c.encode(java.net.UnixDomainSocketAddress.of(serverPath))));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (service.undelivered() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
        }
        assertEquals(1, service.undelivered());
        assertEquals(2, service.in());
        assertEquals(1, service.out());
    }

    @Test
    void unixSenderAddressesDecode() {
        byte[] unnamed = {1, 0};
        assertNull(DatagramPort.decode(unnamed));
        assertNotNull(DatagramPort.decode(new byte[] {1, 0, '/', 't', 0}));
    }
}

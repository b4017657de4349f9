package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.handoff.unix.DatagramPort;

/**
 * What every model must do with datagram sockets ({@code udp:}, {@code unixgram:}), against a real
 * {@code handoff serve}. Each model's contract test runs it as a nested class with the model's flags.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class DatagramContract {
    static final int UDP_MAX = 65_507;

    @TempDir
    Path tmp;

    private final List<ServerProcess> started = new ArrayList<>();

    /** The flags that pick the model. */
    abstract List<String> modelArgs();

    ServerProcess serve(String... args) throws Exception {
        List<String> all = new ArrayList<>(modelArgs());
        all.addAll(List.of(args));
        // The first server's control socket is ctl.sock; any later one in the same test gets its own.
        all.addAll(List.of("--control", tmp.resolve(started.isEmpty() ? "ctl.sock" : "ctl" + started.size() + ".sock")
                .toString()));
        ServerProcess s = ServerProcess.serve(all.toArray(String[]::new));
        started.add(s);
        return s;
    }

    @AfterEach
    void stopServers() {
        for (ServerProcess s : started) {
            s.close();
            System.out.println("---- server pid=" + s.pid() + " log ----\n" + s.log());
        }
    }

    /** The listening address that starts with {@code prefix} ("udp:", "unixgram:", "127."). */
    static String address(ServerProcess s, String prefix) {
        return s.addresses().stream().filter(a -> a.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " listener in " + s.addresses()));
    }

    static int udpPort(ServerProcess s) {
        String a = address(s, "udp:");
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    static DatagramSocket udpClient() throws Exception {
        DatagramSocket c = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        c.setSoTimeout(5000);
        c.setReceiveBufferSize(1 << 20);
        return c;
    }

    static byte[] ask(DatagramSocket c, int port, byte[] payload) throws Exception {
        c.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
        DatagramPacket p = new DatagramPacket(new byte[70_000], 70_000);
        c.receive(p);
        return java.util.Arrays.copyOf(p.getData(), p.getLength());
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed);
        return b;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> datagramTotals(Map<String, Object> status) {
        Object d = status.containsKey("datagrams") ? status.get("datagrams") : status.get("datagrams_by_current_workers");
        return (Map<String, Object>) d;
    }

    static long counter(Map<String, Object> status, String name) {
        return ((Number) datagramTotals(status).get(name)).longValue();
    }

    @Test
    void echoesUdpFromOneByteToTheMaximumAndUnixDatagramsBesideTcp() throws Exception {
        Path unixgram = tmp.resolve("echo.sock");
        ServerProcess s = serve("--handler", "echo", "--bind", "127.0.0.1:0", "--bind", "udp:127.0.0.1:0",
                "--bind", "unixgram:" + unixgram);
        int port = udpPort(s);
        try (DatagramSocket c = udpClient()) {
            for (int n : new int[] {1, 2, 512, 1472, 1473, 8192, 32_768, 65_000, UDP_MAX}) {
                assertArrayEquals(bytes(n, n), ask(c, port, bytes(n, n)), "echo of " + n + " bytes");
            }
        }
        // Unix datagrams: a client bound to a path gets its echo; one too large for the server is dropped whole.
        try (DatagramPort client = DatagramPort.bindUnix(tmp.resolve("client.sock"))) {
            byte[] to = client.encode(UnixDomainSocketAddress.of(unixgram));
            DatagramPort.Receiver r = client.receiver(200_000);
            assertTrue(client.send(ByteBuffer.wrap(bytes(100_000, 1)), to), "a 100000-byte unix datagram was sent");
            assertTrue(client.send(ByteBuffer.wrap(bytes(UDP_MAX, 2)), to));
            assertEquals(UDP_MAX, r.receive(5000), "only the datagram that fits is answered");
            byte[] got = new byte[UDP_MAX];
            r.payload().get(got);
            assertArrayEquals(bytes(UDP_MAX, 2), got);
        }
        // The stream side of the same serve still echoes.
        assertEquals("over tcp", Clients.echo(s.port(0), "over tcp"));
        Map<String, Object> status = Control.awaitStatus(tmp.resolve("ctl.sock"),
                x -> counter(x, "in") == 10 && counter(x, "dropped") == 1, Duration.ofSeconds(10));
        assertEquals(10, counter(status, "out"), status.toString());
    }

    @Test
    void timeAndDaytimeAnswerOverUdpAndTcp() throws Exception {
        ServerProcess time = serve("--handler", "time", "--bind", "127.0.0.1:0", "--bind", "udp:127.0.0.1:0");
        long expected = (System.currentTimeMillis() / 1000 + 2_208_988_800L) & 0xffffffffL;
        try (DatagramSocket c = udpClient()) {
            byte[] answer = ask(c, udpPort(time), new byte[] {'?'});
            assertEquals(4, answer.length);
            assertTrue(Math.abs((ByteBuffer.wrap(answer).getInt() & 0xffffffffL) - expected) <= 5);
        }
        byte[] tcp = Clients.readAllBytes(time.port(0));
        assertEquals(4, tcp.length);
        assertTrue(Math.abs((ByteBuffer.wrap(tcp).getInt() & 0xffffffffL) - expected) <= 5);

        ServerProcess daytime = serve("--handler", "daytime", "--bind", "127.0.0.1:0", "--bind", "udp:127.0.0.1:0");
        try (DatagramSocket c = udpClient()) {
            assertRecentDate(new String(ask(c, udpPort(daytime), new byte[] {'?'}), StandardCharsets.US_ASCII));
        }
        assertRecentDate(Clients.readAll(daytime.addresses().get(0)));
    }

    private static void assertRecentDate(String line) {
        assertTrue(line.endsWith("\r\n"), line);
        ZonedDateTime t = ZonedDateTime.parse(line.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
        assertTrue(Math.abs(t.toEpochSecond() - System.currentTimeMillis() / 1000) <= 5, line);
    }

    static final String REVERSER = "dgram.Reverser";
    private static final String REVERSER_SOURCE = """
            package dgram;

            import java.nio.ByteBuffer;

            /** Datagrams only: answers each with its bytes reversed. */
            public class Reverser implements io.handoff.datagram.DatagramHandler {
                @Override
                public void handle(io.handoff.datagram.Datagram d) throws Exception {
                    ByteBuffer in = d.payload();
                    byte[] out = new byte[in.remaining()];
                    for (int i = 0; i < out.length; i++) out[i] = in.get(in.limit() - 1 - i);
                    if (out.length == 5 && new String(out).equals("worht")) throw new IllegalStateException("asked to");
                    d.reply(ByteBuffer.wrap(out));
                }
            }
            """;

    /**
     * A user datagram handler from a jar, serving under a steady lockstep sender while the server reloads twice
     * (fork: every worker replaced, twice): every datagram is answered, none lost. A datagram that makes the handler
     * throw is counted, and the next is served. Bound to a stream address it is refused with one line.
     */
    @Test
    void aUserDatagramHandlerFromAJarAnswersEveryDatagramAcrossReloads() throws Exception {
        Path jar = UserHandlerJar.compile(tmp, REVERSER, REVERSER_SOURCE, "reverser.jar");
        // events runs built-in handlers only: it refuses the jar, and is reloaded with echo under the same sender.
        boolean userCode = !modelArgs().contains("events");
        ServerProcess.Result refused = ServerProcess.run(Duration.ofSeconds(60), concat(List.of("serve"), concat(
                modelArgs(), "--handler", REVERSER, "--handler-classpath", jar.toString(), "--bind", "127.0.0.1:0")));
        assertEquals(2, refused.status(), refused.output());
        assertEquals(1, refused.lines().size(), refused.output());
        assertTrue(refused.output().contains(userCode ? "serves datagrams only" : "runs the built-in handlers"),
                refused.output());

        ServerProcess s = userCode
                ? serve("--handler", REVERSER, "--handler-classpath", jar.toString(), "--bind", "udp:127.0.0.1:0")
                : serve("--handler", "echo", "--bind", "udp:127.0.0.1:0");
        int port = udpPort(s);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong answered = new AtomicLong();
        AtomicLong lost = new AtomicLong();
        Thread sender = Thread.ofPlatform().start(() -> {
            try (DatagramSocket c = udpClient()) {
                for (long i = 0; running.get(); i++) {
                    String msg = "datagram-" + i;
                    String expected = userCode ? new StringBuilder(msg).reverse().toString() : msg;
                    try {
                        byte[] answer = ask(c, port, msg.getBytes(StandardCharsets.US_ASCII));
                        if (expected.equals(new String(answer, StandardCharsets.US_ASCII))) answered.incrementAndGet();
                        else lost.incrementAndGet();
                    } catch (SocketTimeoutException e) {
                        lost.incrementAndGet();
                    }
                    Thread.sleep(2);
                }
            } catch (Exception e) {
                lost.addAndGet(1_000_000);
            }
        });
        try {
            Control.reloadTwiceUnderLoad(tmp.resolve("ctl.sock"), s);
        } finally {
            running.set(false);
            sender.join(15_000);
        }
        System.out.println("datagrams across two reloads: answered=" + answered + " lost=" + lost);
        assertEquals(0, lost.get(), "answered=" + answered);
        assertTrue(answered.get() > 200, "answered=" + answered);
        if (!userCode) return;
        try (DatagramSocket c = udpClient()) {
            c.send(new DatagramPacket("throw".getBytes(), 5, InetAddress.getLoopbackAddress(), port));
            assertArrayEquals("ih".getBytes(), ask(c, port, "hi".getBytes()));
        }
        Control.awaitStatus(tmp.resolve("ctl.sock"), x -> counter(x, "failed") >= 1, Duration.ofSeconds(10));
        s.awaitLog(l -> l.contains("datagram handler failed"), Duration.ofSeconds(10));
    }

    /**
     * One sender floods the UDP socket flat out while a well-behaved one sends 20 a second, and a TCP client is
     * served throughout: the polite sender's loss is measured and bounded, and TCP never fails.
     */
    @Test
    void aFloodFromOneSenderLeavesOtherSendersAndTcpServed() throws Exception {
        ServerProcess s = serve("--handler", "echo", "--bind", "127.0.0.1:0", "--bind", "udp:127.0.0.1:0");
        int port = udpPort(s);
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong flooded = new AtomicLong();
        Thread flood = Thread.ofPlatform().start(() -> {
            try (DatagramSocket c = new DatagramSocket()) {
                byte[] junk = new byte[512];
                DatagramPacket p = new DatagramPacket(junk, junk.length, InetAddress.getLoopbackAddress(), port);
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (flooding.get() && System.nanoTime() < deadline) {
                    c.send(p);
                    flooded.incrementAndGet();
                }
            } catch (Exception e) {
                // the socket closed under us: the flood is over
            }
        });
        int polite = 60, answered = 0, tcpOk = 0;
        try (DatagramSocket c = udpClient()) {
            c.setSoTimeout(1000);
            Thread.sleep(500);
            for (int i = 0; i < polite; i++) {
                byte[] msg = ("polite-" + i).getBytes(StandardCharsets.US_ASCII);
                try {
                    // The flood's echoes never come here: answers go to their own sender.
                    if (java.util.Arrays.equals(msg, ask(c, port, msg))) answered++;
                } catch (SocketTimeoutException e) {
                    // lost in the flood
                }
                if (i % 10 == 0 && "tcp".equals(Clients.echo(s.port(0), "tcp"))) tcpOk++;
                Thread.sleep(50);
            }
        } finally {
            flooding.set(false);
            flood.join(10_000);
        }
        Map<String, Object> status = Control.send(tmp.resolve("ctl.sock"), "status");
        System.out.printf("flood: flooded=%d polite answered=%d/%d tcp=%d/6 server=%s%n", flooded.get(), answered,
                polite, tcpOk, datagramTotals(status));
        assertEquals(6, tcpOk);
        assertTrue(flooded.get() > 10 * polite, "the flood was a flood: " + flooded.get());
        // The loop drops nothing it received; what is lost, the kernel dropped at a full socket buffer, shared by
        // the flood and the polite sender alike. At least two thirds of the polite datagrams get through.
        assertTrue(answered >= polite * 2 / 3, "polite sender answered " + answered + "/" + polite);
    }

    static String[] concat(List<String> first, String... rest) {
        if (rest.length == 0) return first.toArray(String[]::new);
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }
}

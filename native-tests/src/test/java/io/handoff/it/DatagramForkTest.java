package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What only the fork model's datagram side has: SO_REUSEPORT sockets per worker, worker death, hung workers. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DatagramForkTest {
    @TempDir
    Path tmp;

    private final List<ServerProcess> started = new ArrayList<>();

    private static final String WHO = "dgram.WhoAmI";
    private static final String WHO_SOURCE = """
            package dgram;

            import java.nio.ByteBuffer;

            /** Answers with the process's name (worker-1...); "n..." with itself; "hang" holds the receive thread for good. */
            public class WhoAmI implements io.handoff.datagram.DatagramHandler {
                @Override
                public void handle(io.handoff.datagram.Datagram d) throws Exception {
                    if (d.payload().remaining() == 4 && d.payload().get(0) == 'h') Thread.sleep(Long.MAX_VALUE);
                    if (d.payload().remaining() > 0 && d.payload().get(0) == 'n') d.reply(d.payload()); // numbered
                    else d.reply(ByteBuffer.wrap(System.getProperty("handoff.process").getBytes()));
                }
            }
            """;

    ServerProcess serve(String... args) throws Exception {
        Path jar = UserHandlerJar.compile(tmp, WHO, WHO_SOURCE, "who.jar");
        List<String> all = new ArrayList<>(List.of("--model", "fork", "--handler", WHO, "--handler-classpath",
                jar.toString(), "--control", tmp.resolve("ctl.sock").toString(), "--bind", "udp:127.0.0.1:0"));
        all.addAll(List.of(args));
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

    private static String ask(DatagramSocket c, int port, String text) throws Exception {
        return new String(DatagramContract.ask(c, port, text.getBytes(StandardCharsets.US_ASCII)),
                StandardCharsets.US_ASCII);
    }

    /** With SO_REUSEPORT each sender stays on one worker, and the senders spread over both. */
    @Test
    void reusePortKeepsEachSenderOnOneWorker() throws Exception {
        ServerProcess s = serve("--workers", "2", "--datagram-sockets", "reuseport");
        assertTrue(s.log().contains("datagram_sockets=reuseport"), s.log());
        int port = DatagramContract.udpPort(s);
        Map<Integer, Set<String>> workersBySender = new HashMap<>();
        for (int sender = 0; sender < 16; sender++) {
            try (DatagramSocket c = DatagramContract.udpClient()) {
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < 10; i++) seen.add(ask(c, port, "who"));
                workersBySender.put(sender, seen);
            }
        }
        Set<String> all = new HashSet<>();
        for (Set<String> seen : workersBySender.values()) {
            assertEquals(1, seen.size(), "a sender was answered by " + seen + "; all: " + workersBySender);
            all.addAll(seen);
        }
        // 16 senders hashed over 2 sockets all land on one with probability 2^-15.
        assertEquals(Set.of("worker-1", "worker-2"), all, workersBySender.toString());
    }

    /**
     * A worker killed with SIGKILL under a steady lockstep sender: the shared socket stays open in the supervisor,
     * the other worker and the replacement go on receiving, and at most the datagram the dead worker held is lost.
     */
    @Test
    void aWorkerKilledOnASharedSocketLosesAtMostWhatItHeld() throws Exception {
        ServerProcess s = serve("--workers", "2");
        int port = DatagramContract.udpPort(s);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong answered = new AtomicLong(), lost = new AtomicLong();
        Thread sender = Thread.ofPlatform().start(() -> {
            try (DatagramSocket c = DatagramContract.udpClient()) {
                c.setSoTimeout(1000);
                while (running.get()) {
                    try {
                        ask(c, port, "who");
                        answered.incrementAndGet();
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
            Thread.sleep(1000);
            List<Long> before = s.workerPids();
            Procs.kill(before.get(0), "KILL");
            s.awaitWorkers(2, Set.of(before.get(0)), Duration.ofSeconds(60));
            Thread.sleep(1000);
        } finally {
            running.set(false);
            sender.join(10_000);
        }
        System.out.println("worker killed: answered=" + answered + " lost=" + lost);
        assertTrue(lost.get() <= 2, "lost=" + lost + " answered=" + answered);
        assertTrue(answered.get() > 300, "answered=" + answered);
    }

    /**
     * SIGTERM right after a burst: every datagram already queued in the shared socket is answered before the
     * workers leave (they drain it until they find it empty), and the stop is graceful.
     */
    @Test
    void aGracefulStopAnswersEveryDatagramAlreadyReceived() throws Exception {
        ServerProcess s = serve("--workers", "2");
        int port = DatagramContract.udpPort(s);
        int burst = 500;
        Set<String> answers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (DatagramSocket c = DatagramContract.udpClient()) {
            Thread reader = Thread.ofPlatform().start(() -> {
                DatagramPacket p = new DatagramPacket(new byte[100], 100);
                try {
                    while (answers.size() < burst) {
                        c.receive(p);
                        answers.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                    }
                } catch (Exception e) {
                    // timed out or closed: the count says what arrived
                }
            });
            for (int i = 0; i < burst; i++) {
                byte[] b = ("n" + i).getBytes(StandardCharsets.US_ASCII);
                c.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), port));
            }
            s.signal("TERM");
            assertEquals(0, s.awaitExit(Duration.ofSeconds(60)), s.log());
            reader.join(10_000);
        }
        assertTrue(s.log().contains("stopped gracefully"), s.log());
        assertEquals(burst, answers.size(), "answered before the stop ended");
    }

    /** A handler that never returns, on every receive thread: the worker goes silent, is killed and replaced. */
    @Test
    void aWorkerWhoseReceiveThreadsAreAllStuckIsReplacedAsHung() throws Exception {
        ServerProcess s = serve("--workers", "1", "--timeout", "2s");
        int port = DatagramContract.udpPort(s);
        long first = s.workerPids().get(0);
        try (DatagramSocket c = DatagramContract.udpClient()) {
            assertEquals("worker-1", ask(c, port, "who"));
            // One per receive thread (a worker has one per processor, at most 4): more would hang the replacement.
            int receivers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
            for (int i = 0; i < receivers; i++) {
                c.send(new DatagramPacket("hang".getBytes(), 4, InetAddress.getLoopbackAddress(), port));
            }
            s.awaitLog(l -> l.contains("worker hung"), Duration.ofSeconds(30));
            s.awaitWorkers(1, Set.of(first), Duration.ofSeconds(60));
            c.setSoTimeout(2000);
            String answer = null;
            for (int i = 0; i < 20 && answer == null; i++) {
                try {
                    answer = ask(c, port, "who");
                } catch (SocketTimeoutException e) {
                    // the replacement is still taking the leftover "hang" datagrams
                }
            }
            assertTrue(answer != null && answer.startsWith("worker-"), "the replacement answers: " + answer);
        }
    }
}

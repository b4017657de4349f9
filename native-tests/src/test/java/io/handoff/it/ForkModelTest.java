package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The fork model: the contract, plus what only worker processes and fd handoff can get wrong. */
class ForkModelTest extends ModelContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2"); }

    @Test
    void anAcceptedSocketIsOwnedByExactlyOneWorkerAndNotTheSupervisor() throws Exception {
        ServerProcess s = serve("--handler", "echo", "--bind", "127.0.0.1:0");
        List<Long> workers = s.workerPids();
        assertEquals(2, workers.size());
        try (Socket client = Clients.tcp(s.port(0))) {
            // A round trip proves a worker adopted the connection and serves it.
            client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("ping\n", new String(client.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
            long inode = Procs.serverSideInode(s.port(0), client.getLocalPort());
            assertFalse(Procs.socketInodes(s.pid()).contains(inode), "supervisor still holds the client socket");
            long owners = 0;
            for (long w : workers) if (Procs.socketInodes(w).contains(inode)) owners++;
            assertEquals(1, owners, "the client socket must live in exactly one worker");
        }
    }

    @Test
    void fdCountsReturnToBaselineAfterTenThousandConnections() throws Exception {
        ServerProcess s = serve("--handler", "hello", "--bind", "127.0.0.1:0");
        int port = s.port(0);
        Clients.hello(port, 500); // warm up: lazily opened jars and native libraries are open by now
        Map<Long, Integer> baseline = Procs.fdCounts(s);
        Clients.hello(port, 10_000);
        Procs.awaitFdCountsAtMost(s, baseline, Duration.ofSeconds(10));
        assertTrue(s.log().lines().noneMatch(l -> l.contains("ERROR")), s.log());
    }

    /** A burst of a thousand connects at once, drained in batches by the supervisor, is served in full. */
    @Test
    void aBurstOfAThousandConnectsToOneWorkerIsServedInFull() throws Exception {
        List<java.nio.channels.SocketChannel> clients = new java.util.ArrayList<>();
        try (ServerProcess s = ServerProcess.serve("--model", "fork", "--workers", "1", "--handler", "hello",
                "--bind", "127.0.0.1:0", "--backlog", "4096")) {
            for (int i = 0; i < 1000; i++) {
                java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open();
                c.configureBlocking(false);
                c.connect(new java.net.InetSocketAddress("127.0.0.1", s.port(0)));
                clients.add(c);
            }
            for (java.nio.channels.SocketChannel c : clients) {
                c.configureBlocking(true);
                c.finishConnect();
                c.socket().setSoTimeout(20_000);
                String greeting = new String(c.socket().getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertEquals("Hello 127.0.0.1\n", greeting);
            }
            assertTrue(s.log().lines().noneMatch(l -> l.contains("ERROR")), s.log());
        } finally {
            for (var c : clients) c.close();
        }
    }

    @Test
    void aKilledWorkerIsReplacedAndTheReplacementServes() throws Exception {
        ServerProcess s = serve("--handler", "hello", "--bind", "127.0.0.1:0");
        List<Long> before = s.workerPids();
        long victim = before.get(0);
        Procs.kill(victim, "KILL");
        s.awaitLog(l -> l.contains("worker died") && l.contains("pid=" + victim) && l.contains("signal=9 (KILL)"),
                Duration.ofSeconds(10));
        List<Long> after = s.awaitWorkers(2, Set.of(victim), Duration.ofSeconds(30));
        long replacement = after.stream().filter(p -> !before.contains(p)).findFirst().orElseThrow();
        s.awaitLog(l -> l.contains("worker ready") && l.contains("pid=" + replacement) && l.contains("[supervisor]"),
                Duration.ofSeconds(30));
        Set<String> servedBy = new HashSet<>();
        for (int i = 0; i < 40; i++) servedBy.add(Clients.readAll(s.addresses().get(0)));
        assertEquals(Set.of("Hello 127.0.0.1\n"), servedBy);
        // Both workers take connections again: the replacement's count of served connections grows.
        assertTrue(Procs.alive(replacement));
    }

    @Test
    void killingTheSupervisorLeavesNoWorkerBehind() throws Exception {
        ServerProcess s = serve("--handler", "hello", "--bind", "127.0.0.1:0");
        List<Long> workers = s.workerPids();
        assertEquals(2, workers.size());
        Procs.kill(s.pid(), "KILL");
        // Each worker reads the end of its link at once and halts (measured: about half a second, on a busy machine).
        Procs.awaitDead(workers, Duration.ofSeconds(2));
    }

    @Test
    void sigtermStopsGracefullyWithStatusZeroAndStopsTheWorkers() throws Exception {
        ServerProcess s = serve("--handler", "hello", "--bind", "127.0.0.1:0");
        List<Long> workers = s.workerPids();
        assertEquals("Hello 127.0.0.1\n", Clients.readAll(s.addresses().get(0)));
        s.signal("TERM");
        assertEquals(0, s.awaitExit(Duration.ofSeconds(30)));
        Procs.awaitDead(workers, Duration.ofSeconds(5));
        assertTrue(s.log().contains("stopped gracefully"), s.log());
    }

    @Test
    void sigintStopsWithStatusZero() throws Exception {
        ServerProcess s = serve("--handler", "echo", "--bind", "127.0.0.1:0");
        List<Long> workers = s.workerPids();
        try (Socket idle = Clients.tcp(s.port(0))) {
            idle.getOutputStream().write('x');
            assertEquals('x', idle.getInputStream().read());
            s.signal("INT");
            assertEquals(0, s.awaitExit(Duration.ofSeconds(30)));
            Procs.awaitDead(workers, Duration.ofSeconds(5));
            // The connection a worker held is gone with it.
            assertEquals(-1, idle.getInputStream().read());
        }
    }
}

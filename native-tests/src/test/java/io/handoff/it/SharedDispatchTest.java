package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * {@code --dispatch shared}: the workers accept on the listening sockets themselves. The whole model contract holds
 * (inherited), plus what only this mode can get wrong: no connection ever passes through the supervisor, the kernel
 * spreads connections over both workers, a replacement worker gets the sockets, reload loses nothing, fds balance.
 */
class SharedDispatchTest extends ModelContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2", "--dispatch", "shared"); }

    @Override
    int acceptingProcesses() { return 2; }

    private Path control() { return tmp.resolve("ctl.sock"); }

    @Test
    void connectionsAreAcceptedByBothWorkersAndNeverHeldByTheSupervisor() throws Exception {
        ServerProcess s = serve("--handler", "echo", "--bind", "127.0.0.1:0", "--control", control().toString());
        int port = s.port(0);
        List<Long> workers = s.workerPids();
        assertEquals(2, workers.size());
        Set<Long> supervisorSockets = Procs.socketInodes(s.pid());
        Map<Long, Integer> perWorker = new HashMap<>();
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                Socket c = Clients.tcp(port);
                clients.add(c);
                assertEquals("ping " + i, roundTrip(c, "ping " + i));
                long inode = Procs.serverSideInode(port, c.getLocalPort());
                assertFalse(Procs.socketInodes(s.pid()).contains(inode), "supervisor holds client socket " + i);
                List<Long> owners = new ArrayList<>();
                for (long w : workers) if (Procs.socketInodes(w).contains(inode)) owners.add(w);
                assertEquals(1, owners.size(), "client socket " + i + " must live in exactly one worker: " + owners);
                perWorker.merge(owners.get(0), 1, Integer::sum);
            }
            assertEquals(2, perWorker.size(), "both workers accept: " + perWorker);
            // Not one accepted socket came and went through the supervisor: it holds what it held before.
            assertEquals(supervisorSockets, Procs.socketInodes(s.pid()));
            Map<String, Object> status = Control.awaitStatus(control(), st -> Control.workers(st).stream()
                    .mapToLong(w -> ((Number) w.get("open")).longValue()).sum() == 40, Duration.ofSeconds(10));
            assertEquals("shared", status.get("dispatch"));
            System.out.println("40 open echo connections per worker pid: " + perWorker);
        } finally {
            for (Socket c : clients) c.close();
        }
    }

    @Test
    void aKilledWorkerIsReplacedAndTheReplacementAcceptsOnTheSharedSockets() throws Exception {
        ServerProcess s = serve("--handler", "echo", "--bind", "127.0.0.1:0");
        int port = s.port(0);
        List<Long> before = s.workerPids();
        long victim = before.get(0);
        Procs.kill(victim, "KILL");
        s.awaitLog(l -> l.contains("worker died") && l.contains("pid=" + victim) && l.contains("signal=9 (KILL)"),
                Duration.ofSeconds(10));
        List<Long> after = s.awaitWorkers(2, Set.of(victim), Duration.ofSeconds(30));
        long replacement = after.stream().filter(p -> !before.contains(p)).findFirst().orElseThrow();
        s.awaitLog(l -> l.contains("listeners shared with") && l.contains("pid=" + replacement), Duration.ofSeconds(30));
        // The kernel lets the blocked acceptors take turns, so the replacement gets one of the next few connections.
        boolean servedByReplacement = false;
        for (int i = 0; i < 50 && !servedByReplacement; i++) {
            try (Socket c = Clients.tcp(port)) {
                assertEquals("after " + i, roundTrip(c, "after " + i));
                servedByReplacement = Procs.socketInodes(replacement)
                        .contains(Procs.serverSideInode(port, c.getLocalPort()));
            }
        }
        assertTrue(servedByReplacement, "the replacement never accepted a connection\n" + s.log());
    }

    /**
     * A stopped worker is off the kernel's queue of waiting acceptors, so connections keep going to the other one
     * even before the missed heartbeats get the stopped one killed and replaced.
     */
    @Test
    @org.junit.jupiter.api.Disabled("flaky by kernel design: a worker stopped while blocked in accept(2) can still be "
            + "chosen by the listener's exclusive wake-up, and that connection waits until the worker is killed, then "
            + "ends empty (seen once in a full run). Shared mode cannot promise this; see issue notes")
    void aStoppedWorkerTakesNoConnectionsAndIsReplaced() throws Exception {
        ServerProcess s = serve("--handler", "hello", "--bind", "127.0.0.1:0", "--timeout", "3");
        long victim = s.workerPids().get(0);
        Procs.kill(victim, "STOP");
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < 40; i++) assertEquals("Hello 127.0.0.1\n", Clients.readAll(s.addresses().get(0)));
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(millis < 2500, "40 connections took " + millis + "ms: did some wait for the stopped worker?");
            s.awaitLog(l -> l.contains("worker hung") && l.contains("pid=" + victim), Duration.ofSeconds(20));
            Procs.awaitDead(List.of(victim), Duration.ofSeconds(10));
            s.awaitWorkers(2, Set.of(victim), Duration.ofSeconds(30));
            for (int i = 0; i < 20; i++) assertEquals("Hello 127.0.0.1\n", Clients.readAll(s.addresses().get(0)));
        } finally {
            ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void reloadUnderContinuousLoadFailsNoRequest() throws Exception {
        ServerProcess s = serve("--handler", "http", "--bind", "127.0.0.1:0", "--control", control().toString());
        try (HttpLoad load = new HttpLoad(s.port(0), 16)) {
            Control.reloadTwiceUnderLoad(control(), s);
            String summary = load.stop();
            assertEquals(0, load.failed.get(), summary);
            assertEquals(0, load.refused.get(), summary);
            assertTrue(load.ok.get() > 1000, summary);
            System.out.println("shared: reload under load: " + summary);
        }
    }

    @Test
    void fdCountsReturnToBaselineAfterFiveThousandConnections() throws Exception {
        ServerProcess s = serve("--handler", "hello", "--bind", "127.0.0.1:0");
        int port = s.port(0);
        Clients.hello(port, 500); // warm up: lazily opened jars and native libraries are open by now
        Map<Long, Integer> baseline = Procs.fdCounts(s);
        Clients.hello(port, 5_000);
        Procs.awaitFdCountsAtMost(s, baseline, Duration.ofSeconds(10));
        assertTrue(s.log().lines().noneMatch(l -> l.contains("ERROR") || l.contains("WARN")), s.log());
    }

    @Test
    void dispatchIsAForkModelFlagAndTakesOnlyItsThreeValues() throws Exception {
        ServerProcess.Result bogus = ServerProcess.run(Duration.ofSeconds(60), "serve", "--dispatch", "random");
        assertEquals(2, bogus.status(), bogus.output());
        assertTrue(bogus.output().contains("not one of least-loaded, shared, round-robin"), bogus.output());
        ServerProcess.Result virtual = ServerProcess.run(Duration.ofSeconds(60), "serve", "--model", "virtual",
                "--dispatch", "shared", "--bind", "127.0.0.1:0");
        assertEquals(2, virtual.status(), virtual.output());
        assertTrue(virtual.output().contains("--dispatch applies to --model fork only"), virtual.output());
    }

    private static String roundTrip(Socket c, String line) throws Exception {
        c.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = c.getInputStream();
        byte[] reply = in.readNBytes(line.length() + 1);
        return new String(reply, StandardCharsets.US_ASCII).trim();
    }
}

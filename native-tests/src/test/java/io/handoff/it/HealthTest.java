package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Worker health in the fork model: hung workers, crash loops, recycling. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HealthTest extends OneServerTest {

    @Test
    void aStoppedWorkerIsDeclaredHungDumpedKilledAndReplaced() throws Exception {
        server = ServerProcess.serve("--workers", "2", "--handler", "hello", "--bind", "127.0.0.1:0", "--timeout", "2",
                "--control", tmp.resolve("ctl.sock").toString());
        List<Long> before = server.workerPids();
        long victim = before.get(0);
        Procs.kill(victim, "STOP");
        try {
            server.awaitLog(l -> l.contains("worker hung") && l.contains("pid=" + victim), Duration.ofSeconds(20));
            Procs.awaitDead(List.of(victim), Duration.ofSeconds(10));
            server.awaitWorkers(2, Set.of(victim), Duration.ofSeconds(30));
            for (int i = 0; i < 30; i++) assertEquals("Hello 127.0.0.1\n", Clients.readAll(server.addresses().get(0)));
        } finally {
            ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void busyIsNotHungAWorkerHoldingLongConnectionsKeepsHeartbeating() throws Exception {
        server = ServerProcess.serve("--workers", "1", "--handler", "echo", "--bind", "127.0.0.1:0", "--timeout", "2");
        long worker = server.workerPids().get(0);
        try (Socket a = Clients.tcp(server.port(0)); Socket b = Clients.tcp(server.port(0))) {
            a.getOutputStream().write('a');
            b.getOutputStream().write('b');
            assertEquals('a', a.getInputStream().read());
            assertEquals('b', b.getInputStream().read());
            Thread.sleep(5000); // well past --timeout with both connections open and idle
            a.getOutputStream().write('c');
            assertEquals('c', a.getInputStream().read());
        }
        assertEquals(List.of(worker), server.workerPids());
        assertTrue(server.log().lines().noneMatch(l -> l.contains("worker hung")), server.log());
    }

    @Test
    void aHandlerThatCannotLoadStopsTheSupervisorInsteadOfRespawningForever() throws Exception {
        // The class exists for the supervisor (it validates the handler itself) only via the jar; the worker gets a
        // jar path that disappears after validation, so every worker fails to boot with its own exit code.
        Path jar = UserHandlerJar.build(tmp);
        List<String> cmd = ServerProcess.javaCommand();
        cmd.addAll(List.of("serve", "--workers", "2", "--bind", "127.0.0.1:0", "--handler", UserHandlerJar.CLASS_NAME,
                "--handler-classpath", jar.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            // Remove the jar as soon as the supervisor has loaded it; workers start after that and cannot.
            StringBuilder out = new StringBuilder();
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
            Thread pump = Thread.ofPlatform().daemon().start(() -> reader.lines().forEach(l -> {
                synchronized (out) {
                    out.append(l).append('\n');
                }
                if (l.contains("worker spawned")) {
                    try {
                        java.nio.file.Files.deleteIfExists(jar);
                    } catch (java.io.IOException ignored) {
                        // checked below through the outcome
                    }
                }
            }));
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "supervisor kept respawning");
            pump.join(5000);
            String log;
            synchronized (out) {
                log = out.toString();
            }
            assertEquals(1, p.exitValue(), log);
            assertTrue(log.contains("cannot boot (exit 3)") && log.contains("Not respawning"), log);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void aWorkerOverMaxWorkerMemoryIsReplacedGracefully() throws Exception {
        // Every worker JVM is far above 1 MB, so each is recycled as soon as its replacement is ready.
        server = ServerProcess.serve("--workers", "1", "--handler", "hello", "--bind", "127.0.0.1:0",
                "--max-worker-memory", "1");
        long first = server.workerPids().get(0);
        server.awaitLog(l -> l.contains("recycling") && l.contains("pid=" + first) && l.contains("max-worker-memory"),
                Duration.ofSeconds(30));
        Procs.awaitDead(List.of(first), Duration.ofSeconds(30));
        for (int i = 0; i < 20; i++) assertEquals("Hello 127.0.0.1\n", Clients.readAll(server.addresses().get(0)));
    }

    @Test
    void maxRequestsRecyclesWorkersGracefullyWithoutFailingAConnection() throws Exception {
        Path jar = UserHandlerJar.build(tmp);
        server = ServerProcess.serve("--workers", "1", "--handler", UserHandlerJar.CLASS_NAME, "--handler-classpath",
                jar.toString(), "--bind", "127.0.0.1:0", "--max-requests", "40", "--max-requests-jitter", "10");
        Set<String> servedBy = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        for (int i = 0; servedBy.size() < 3 && System.nanoTime() < deadline; i++) {
            try (Socket s = Clients.tcp(server.port(0))) {
                s.getOutputStream().write("abc\n".getBytes(StandardCharsets.US_ASCII));
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(reply.startsWith("cba pid="), "connection " + i + ": " + reply);
                servedBy.add(reply.trim().substring("cba pid=".length()));
            }
            if (i % 20 == 0) Thread.sleep(150); // let heartbeats report the counts between bursts
        }
        assertTrue(servedBy.size() >= 3, "recycled into " + servedBy);
        assertTrue(server.log().contains("recycling") && server.log().contains("max-requests"), server.log());
    }
}

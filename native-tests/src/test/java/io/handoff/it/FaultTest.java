package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Process faults in the fork model under load: a worker killed, a worker stopped, the supervisor killed. Each test
 * prints its figures ("fault: ...") and asserts behaviour, never timing.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FaultTest extends OneServerTest {
    private static final int CLIENTS = 16;

    private Path control() { return tmp.resolve("ctl.sock"); }

    @Test
    void killingAWorkerUnderLoadFailsOnlyItsConnectionsAndAReplacementServes() throws Exception {
        server = ServerProcess.serve("--workers", "2", "--handler", "http", "--bind", "127.0.0.1:0",
                "--control", control().toString());
        int port = server.port(0);
        for (int i = 0; i < 20; i++) assertEquals(200, get(port, 20_000)); // warm: lazily opened files are open
        int supervisorFds = Procs.fdCount(server.pid());
        List<Long> before = server.workerPids();
        long victim = before.get(0);
        try (HttpLoad load = new HttpLoad(port, CLIENTS)) {
            Thread.sleep(1000);
            long victimOpen = openOf(Control.send(control(), "status"), victim);
            long t0 = System.nanoTime();
            Procs.kill(victim, "KILL");
            long replacement = server.awaitWorkers(2, Set.of(victim), Duration.ofSeconds(30)).stream()
                    .filter(p -> !before.contains(p)).findFirst().orElseThrow();
            server.awaitLog(l -> l.contains("[supervisor]") && l.contains("worker ready")
                    && l.contains("pid=" + replacement + " "), Duration.ofSeconds(30));
            long readyMillis = (System.nanoTime() - t0) / 1_000_000;
            // New connections go to the least loaded worker: the replacement, which holds none yet.
            long servedByReplacement = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (servedByReplacement == 0 && System.nanoTime() < deadline) {
                assertEquals(200, get(port, 20_000));
                Map<String, Object> s = Control.send(control(), "status");
                servedByReplacement = servedOf(s, replacement) + openOf(s, replacement);
            }
            long servingMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(servedByReplacement > 0, "the replacement served nothing\n" + server.log());
            Thread.sleep(500);
            String summary = load.stop();
            long lost = load.failed.get() + load.resetUnanswered.get();
            System.out.println("fault: kill -9 worker under load: victim_open=" + victimOpen + " lost=" + lost
                    + " replacement_ready_ms=" + readyMillis + " replacement_serving_ms=" + servingMillis + " "
                    + summary);
            // Each client had at most its one connection on the victim; the rest never noticed.
            assertTrue(lost <= CLIENTS, summary);
            assertEquals(0, load.refused.get(), summary);
            assertTrue(load.ok.get() > 500, summary);
        }
        assertTrue(server.log().contains("worker died worker=1 pid=" + victim), server.log());
        // The dead worker's link and anything queued for it are released: back to where it was.
        int after = Procs.fdCount(server.pid());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (after > supervisorFds && System.nanoTime() < deadline) {
            Thread.sleep(100);
            after = Procs.fdCount(server.pid());
        }
        System.out.println("fault: supervisor fds before=" + supervisorFds + " after=" + after);
        assertTrue(after <= supervisorFds, "supervisor fds before=" + supervisorFds + " after=" + after);
    }

    @Test
    void aStoppedWorkerStallsNothingItsShareGoesToTheOthersAndItResumes() throws Exception {
        server = ServerProcess.serve("--workers", "2", "--handler", "http", "--bind", "127.0.0.1:0",
                "--control", control().toString());
        int port = server.port(0);
        long victim = server.workerPids().get(0);
        try (HttpLoad load = new HttpLoad(port, CLIENTS)) {
            Thread.sleep(1000);
            Procs.kill(victim, "STOP");
            try {
                // Fresh connections keep coming; a few may reach the stopped worker before the supervisor notices.
                List<Thread> early = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < 8; i++) early.add(Thread.ofPlatform().daemon().start(() -> quietGet(port)));
                server.awaitLog(l -> l.contains("worker stalled") && l.contains("pid=" + victim + " "),
                        Duration.ofSeconds(20));
                long noticedMillis = (System.nanoTime() - t0) / 1_000_000;
                // From here every new client is served by the other worker, and the supervisor answers at once.
                for (int i = 0; i < 100; i++) assertEquals(200, get(port, 10_000), "request " + i);
                assertEquals(true, Control.send(control(), "status").get("ok"));
                System.out.println("fault: SIGSTOP worker: stall noticed after " + noticedMillis + "ms; 100 new "
                        + "requests served meanwhile");
            } finally {
                Procs.kill(victim, "CONT");
            }
            server.awaitLog(l -> l.contains("worker caught up") && l.contains("pid=" + victim + " "),
                    Duration.ofSeconds(20));
            Thread.sleep(500);
            String summary = load.stop();
            System.out.println("fault: SIGSTOP worker, then SIGCONT: " + summary);
            // The stopped worker's clients waited (within their read timeout) and were answered after SIGCONT.
            assertEquals(0, load.failed.get(), summary);
            assertEquals(0, load.refused.get(), summary);
        }
        assertEquals(2, server.workerPids().size());
        assertTrue(server.workerPids().contains(victim), "the resumed worker is kept");
    }

    @Test
    void killingTheSupervisorEndsEveryWorkerAndASuccessorBindsTheSameAddressesAtOnce() throws Exception {
        Path unix = tmp.resolve("s.sock");
        server = ServerProcess.serve("--workers", "2", "--handler", "hello", "--bind", "127.0.0.1:0",
                "--bind", "unix:" + unix, "--control", control().toString());
        int port = server.port(0);
        List<Long> workers = server.workerPids();
        Path rendezvous = rendezvousOf(workers.get(0));
        assertTrue(Files.exists(rendezvous), rendezvous.toString());
        // Connections open at the kill leave sockets behind on the port (TIME_WAIT, FIN_WAIT).
        List<Socket> open = new ArrayList<>();
        for (int i = 0; i < 4; i++) open.add(Clients.tcp(port));
        Thread.sleep(300);
        long t0 = System.nanoTime();
        Procs.kill(server.pid(), "KILL");
        Procs.awaitDead(workers, Duration.ofSeconds(5));
        long workersGoneMillis = (System.nanoTime() - t0) / 1_000_000;
        // The supervisor could not remove its private rendezvous directory; its workers did on their way out.
        assertFalse(Files.exists(rendezvous.getParent()), rendezvous.getParent() + " left behind");
        for (Socket s : open) s.close();
        server.close();
        // A successor on the same TCP port and Unix path, at once: the stale socket files are cleared because
        // nobody listens on them any more.
        long t1 = System.nanoTime();
        server = ServerProcess.serve("--workers", "2", "--handler", "hello", "--bind", "127.0.0.1:" + port,
                "--bind", "unix:" + unix, "--control", control().toString());
        long successorMillis = (System.nanoTime() - t1) / 1_000_000;
        assertEquals("Hello 127.0.0.1\n", Clients.readAll("127.0.0.1:" + port));
        assertEquals("Hello local\n", Clients.readAll("unix:" + unix));
        System.out.println("fault: kill -9 supervisor: workers gone after " + workersGoneMillis + "ms; successor "
                + "listening after " + successorMillis + "ms");
        // While it lives, another one is refused its Unix path and its control socket, one line each. (A busy TCP
        // port is CommandLineTest's.) Run side by side: each is a JVM start.
        var path = java.util.concurrent.CompletableFuture.supplyAsync(() -> run("--bind", "unix:" + unix,
                "--control", tmp.resolve("other.sock").toString()));
        var ctl = java.util.concurrent.CompletableFuture.supplyAsync(() -> run("--bind", "127.0.0.1:0",
                "--control", control().toString()));
        ServerProcess.Result busyPath = path.get(90, TimeUnit.SECONDS);
        assertEquals(2, busyPath.status(), busyPath.output());
        assertEquals(1, busyPath.lines().size(), busyPath.output());
        assertTrue(busyPath.output().contains("a server is already listening on " + unix), busyPath.output());
        ServerProcess.Result busyCtl = ctl.get(90, TimeUnit.SECONDS);
        assertEquals(2, busyCtl.status(), busyCtl.output());
        assertEquals(1, busyCtl.lines().size(), busyCtl.output());
        assertTrue(busyCtl.output().contains("another process is listening on control socket"), busyCtl.output());
        assertEquals("Hello local\n", Clients.readAll("unix:" + unix), "the live server keeps its socket file");
    }

    private static ServerProcess.Result run(String... serveArgs) {
        List<String> args = new ArrayList<>(List.of("serve", "--model", "virtual"));
        args.addAll(List.of(serveArgs));
        try {
            return ServerProcess.run(Duration.ofSeconds(60), args.toArray(String[]::new));
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** GET / with Connection: close; returns the status. */
    static int get(int port, int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            Clients.HttpResponse r = Clients.readResponse(s.getInputStream());
            return r == null ? -1 : r.status();
        }
    }

    private static void quietGet(int port) {
        try {
            get(port, 30_000);
        } catch (IOException ignored) {
            // may have gone to the stopped worker; the test is about the others
        }
    }

    /** The rendezvous socket a worker was told to connect to (its --link argument). */
    private static Path rendezvousOf(long workerPid) throws IOException {
        List<String> args = List.of(Files.readString(Path.of("/proc", Long.toString(workerPid), "cmdline"))
                .split("\0"));
        return Path.of(args.get(args.indexOf("--link") + 1));
    }

    private static long openOf(Map<String, Object> status, long pid) { return field(status, pid, "open"); }

    private static long servedOf(Map<String, Object> status, long pid) { return field(status, pid, "served"); }

    private static long field(Map<String, Object> status, long pid, String name) {
        for (Map<String, Object> w : Control.workers(status)) {
            if (((Number) w.get("pid")).longValue() == pid) return ((Number) w.get(name)).longValue();
        }
        return 0;
    }
}

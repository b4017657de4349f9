package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** serve --daemon: detaches, returns once ready, owns its pidfile; refuses a live one, replaces a stale one. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonTest {
    private static final Duration T = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    private final List<Long> daemons = new ArrayList<>();

    @AfterEach
    void killDaemons() throws Exception {
        for (long pid : daemons) {
            List<Long> tree = new ArrayList<>(List.of(pid));
            ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> tree.add(d.pid())));
            for (long p : tree) ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
        }
        Path log = tmp.resolve("d.log");
        if (Files.exists(log)) System.out.println("---- daemon log ----\n" + Files.readString(log));
    }

    private ServerProcess.Result startDaemon(int port, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("serve", "--daemon", "--pidfile", tmp.resolve("d.pid").toString(),
                "--log-file", tmp.resolve("d.log").toString(), "--control", tmp.resolve("run/ctl.sock").toString(),
                "--workers", "1", "--handler", "hello", "--bind", "127.0.0.1:" + port));
        args.addAll(List.of(extra));
        ServerProcess.Result r = ServerProcess.run(T, args.toArray(String[]::new));
        Long pid = pidInFile();
        if (pid != null) daemons.add(pid);
        return r;
    }

    private Long pidInFile() throws Exception {
        Path p = tmp.resolve("d.pid");
        return Files.exists(p) ? Long.parseLong(Files.readString(p).trim()) : null;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void detachesReturnsOnceServingAndRemovesItsPidfileOnStop() throws Exception {
        int port = freePort();
        ServerProcess.Result r = startDaemon(port);
        assertEquals(0, r.status(), r.output());
        long pid = pidInFile();
        assertTrue(r.output().contains("daemon started pid=" + pid), r.output());
        // Ready means serving: the very first connection is answered.
        assertEquals("Hello 127.0.0.1\n", Clients.readAll("127.0.0.1:" + port));
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(Long.toString(pid), f[3], "the daemon leads its own session");
        assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", "0")).toString());
        assertTrue(Files.readString(tmp.resolve("d.log")).contains("listening on 127.0.0.1:" + port));
        Procs.kill(pid, "TERM");
        Procs.awaitDead(List.of(pid), Duration.ofSeconds(30));
        assertFalse(Files.exists(tmp.resolve("d.pid")), "pidfile removed on exit");
    }

    @Test
    void refusesALivePidfileAndReplacesAStaleOne() throws Exception {
        int port = freePort();
        assertEquals(0, startDaemon(port).status());
        long first = pidInFile();
        ServerProcess.Result again = startDaemon(freePort());
        assertNotEquals(0, again.status(), again.output());
        assertTrue(again.output().contains("names a running handoff (pid " + first + ")"), again.output());
        assertEquals(first, pidInFile());
        List<Long> workers = ProcessHandle.of(first).orElseThrow().children().map(ProcessHandle::pid).toList();
        Procs.kill(first, "KILL"); // leaves a stale pidfile behind
        Procs.awaitDead(List.of(first), Duration.ofSeconds(10));
        Procs.awaitDead(workers, Duration.ofSeconds(10));
        assertEquals(first, pidInFile());
        ServerProcess.Result replaced = startDaemon(port);
        assertEquals(0, replaced.status(), replaced.output());
        assertNotEquals(first, pidInFile());
        assertEquals("Hello 127.0.0.1\n", Clients.readAll("127.0.0.1:" + port));
    }

    @Test
    void aStartupErrorComesBackToTheForegroundWithANonZeroStatus() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            ServerProcess.Result r = startDaemon(busy.getLocalPort());
            assertEquals(2, r.status(), r.output());
            assertTrue(r.output().contains("daemon failed to start") && r.output().contains("in use"), r.output());
            assertFalse(Files.exists(tmp.resolve("d.pid")));
        }
        ServerProcess.Result noLog = ServerProcess.run(T, "serve", "--daemon", "--bind", "127.0.0.1:0");
        assertEquals(2, noLog.status(), noLog.output());
        assertTrue(noLog.output().contains("--daemon needs --log-file"), noLog.output());
    }
}

package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Resources that run out or go away under a running server: the log file, the pidfile's directory, fds. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ResourceFaultTest extends OneServerTest {

    @Test
    void aLogFileThatCannotBeWrittenAtStartIsOneLineAndStatusTwo() throws Exception {
        // /dev/full opens fine and fails every write with ENOSPC: a full disk.
        ServerProcess.Result full = ServerProcess.run(Duration.ofSeconds(60), "serve", "--model", "virtual",
                "--bind", "127.0.0.1:0", "--log-file", "/dev/full", "--control", tmp.resolve("c1.sock").toString());
        assertEquals(2, full.status(), full.output());
        assertEquals(1, full.lines().size(), full.output());
        assertTrue(full.output().contains("cannot write log file /dev/full: No space left on device"), full.output());
        Path missing = tmp.resolve("no-such-dir").resolve("handoff.log");
        ServerProcess.Result gone = ServerProcess.run(Duration.ofSeconds(60), "serve", "--model", "virtual",
                "--bind", "127.0.0.1:0", "--log-file", missing.toString(), "--control", tmp.resolve("c2.sock").toString());
        assertEquals(2, gone.status(), gone.output());
        assertEquals(1, gone.lines().size(), gone.output());
        assertTrue(gone.output().contains("directory " + missing.getParent() + " does not exist"), gone.output());
        assertTrue(!Files.exists(missing.getParent()), "the directory is not created behind the user's back");
    }

    /**
     * The log file stops taking writes while the server runs (here a FIFO whose reader goes away: every write fails
     * with EPIPE, as it would with ENOSPC on a full disk). The server keeps serving, says so on stderr once per
     * process, and logs to the file again once it takes writes.
     */
    @Test
    void aLogFileThatStopsTakingWritesIsReportedOnceAndServingGoesOn() throws Exception {
        Path fifo = tmp.resolve("log.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo");
        Path ctl = tmp.resolve("ctl.sock");
        List<String> fileLines = Collections.synchronizedList(new ArrayList<>());
        FileInputStream[] reader = new FileInputStream[1];
        Thread drain = Thread.ofPlatform().daemon().start(() -> readInto(fifo, fileLines, reader));
        List<String> cmd = ServerProcess.javaCommand();
        cmd.addAll(List.of("serve", "--model", "virtual", "--handler", "hello", "--bind", "127.0.0.1:0",
                "--log-file", fifo.toString(), "--control", ctl.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        server = ServerProcess.track(p); // its output holds only what it says on stderr; the log is in the fifo
        try {
            await(() -> fileLines.stream().anyMatch(l -> l.contains("listening on")), "listening line in the log");
            String address = fileLines.stream().filter(l -> l.contains("listening on")).findFirst().orElseThrow()
                    .replaceAll(".*listening on (\\S+) .*", "$1");
            reader[0].close(); // from now on every write to the log fails
            drain.join(5000);
            for (int i = 0; i < 5; i++) {
                assertEquals(true, Control.send(ctl, "status").get("ok")); // each logs a line
                assertEquals("Hello 127.0.0.1\n", Clients.readAll(address));
            }
            server.awaitLog(l -> l.contains("cannot write log file " + fifo), Duration.ofSeconds(10));
            assertEquals(1, server.countLines("[supervisor]: cannot write log file"), server.log());
            assertTrue(server.log().contains("control command=status"), "lines went to stderr meanwhile");
            // The file takes writes again: logging returns there, and says so.
            List<String> again = Collections.synchronizedList(new ArrayList<>());
            Thread.ofPlatform().daemon().start(() -> readInto(fifo, again, new FileInputStream[1]));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (again.stream().noneMatch(l -> l.contains("control command=status"))
                    && System.nanoTime() < deadline) {
                Control.send(ctl, "status");
                Thread.sleep(100);
            }
            assertTrue(again.stream().anyMatch(l -> l.contains("control command=status")), again.toString());
            server.awaitLog(l -> l.contains("[supervisor]: log file " + fifo + " is writable again"),
                    Duration.ofSeconds(10));
            assertTrue(p.isAlive());
        } finally {
            if (reader[0] != null) reader[0].close();
        }
    }

    private static void readInto(Path fifo, List<String> lines, FileInputStream[] holder) {
        try (FileInputStream in = new FileInputStream(fifo.toFile())) { // blocks until a writer opens
            holder[0] = in;
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) lines.add(line);
        } catch (IOException closed) {
            // the test closed it
        }
    }

    @Test
    void aPidfileWhoseDirectoryVanishedDoesNotStopTheStopAndIsReported() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("run"));
        Path pidfile = dir.resolve("handoff.pid");
        Path ctl = tmp.resolve("ctl.sock");
        server = ServerProcess.serve("--model", "virtual", "--handler", "hello", "--bind", "127.0.0.1:0",
                "--pidfile", pidfile.toString(), "--control", ctl.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(pidfile) && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(Long.toString(server.pid()), Files.readString(pidfile).trim());
        Files.delete(pidfile);
        Files.delete(dir);
        assertEquals(true, Control.send(ctl, "stop").get("ok"));
        assertEquals(0, server.awaitExit(Duration.ofSeconds(30)), server.log());
        assertTrue(server.log().contains("pidfile " + pidfile + " was already gone (its directory " + dir
                + " was removed)"), server.log());
    }

    /**
     * Far more clients than the fd limit allows: a clear warning at start, accept backs off (logged once) instead of
     * spinning or crashing, the connections it holds are served, and once the clients leave it serves again.
     */
    @Test
    void aLowFdLimitIsWarnedAboutAndOverloadBacksOffAndRecovers() throws Exception {
        Process p = startWithUlimit(128, "--model", "virtual", "--handler", "echo", "--max-connections", "1000");
        server = ServerProcess.adopt(p, 1);
        server.awaitLog(l -> l.contains("fd limit 128 is below what --max-connections 1000 needs"),
                Duration.ofSeconds(10));
        int port = server.port(0);
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = Clients.tcp(port); // the backlog takes what the server cannot
                s.getOutputStream().write('x');
                clients.add(s);
            }
            server.awaitLog(l -> l.contains("accept failing") && l.contains("Too many open files"),
                    Duration.ofSeconds(20));
            assertEquals('x', clients.get(0).getInputStream().read());
            Thread.sleep(1000); // let the server echo what it holds
            int served = 1;
            for (Socket s : clients.subList(1, clients.size())) if (s.getInputStream().available() > 0) served++;
            assertTrue(served > 10 && served < 200, "served " + served);
            assertTrue(server.process().isAlive(), server.log());
            assertEquals(1, server.countLines("accept failing"), server.log());
            System.out.println("fault: ulimit -n 128, 200 clients: " + served + " served at once, the rest waited");
        } finally {
            for (Socket s : clients) s.close();
        }
        for (int i = 0; i < 20; i++) {
            try (Socket s = Clients.tcp(port)) {
                s.getOutputStream().write('y');
                assertEquals('y', s.getInputStream().read(), "served again after the overload");
            }
        }
        assertTrue(server.process().isAlive());
    }

    /** The fork model under the same limit: the default capacity is fitted to it, so fds never run out. */
    @Test
    void aLowFdLimitFitsTheForkModelsDefaultCapacityAndOverloadWaitsInTheBacklog() throws Exception {
        Process p = startWithUlimit(128, "--workers", "2", "--handler", "echo");
        server = ServerProcess.adopt(p, 1);
        server.awaitLog(l -> l.contains("--worker-connections defaults to 64 to fit the fd limit 128"),
                Duration.ofSeconds(10));
        int port = server.port(0);
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 160; i++) {
                Socket s = Clients.tcp(port);
                s.getOutputStream().write('x');
                clients.add(s);
            }
            for (int i = 0; i < 128; i++) assertEquals('x', clients.get(i).getInputStream().read(), "client " + i);
            server.awaitLog(l -> l.contains("at capacity") && l.contains("worker_connections=64"),
                    Duration.ofSeconds(10));
            for (int i = 0; i < 32; i++) clients.get(i).close();
            for (int i = 128; i < 160; i++) assertEquals('x', clients.get(i).getInputStream().read(), "client " + i);
            assertTrue(server.log().lines().noneMatch(l -> l.contains("Too many open files")), server.log());
        } finally {
            for (Socket s : clients) s.close();
        }
    }

    private Process startWithUlimit(int fds, String... serveArgs) throws IOException {
        List<String> cmd = ServerProcess.javaCommand();
        cmd.add("serve");
        cmd.addAll(List.of(serveArgs));
        cmd.addAll(List.of("--bind", "127.0.0.1:0", "--control", tmp.resolve("ctl.sock").toString()));
        StringBuilder line = new StringBuilder("ulimit -n " + fds + " && exec");
        for (String c : cmd) line.append(" '").append(c.replace("'", "'\\''")).append('\'');
        return new ProcessBuilder("bash", "-c", line.toString()).redirectErrorStream(true).start();
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not seen within 60s: " + what);
            Thread.sleep(20);
        }
    }
}

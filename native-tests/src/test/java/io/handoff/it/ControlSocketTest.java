package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The control socket and the signals that share its verbs, against a real fork-model supervisor. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ControlSocketTest extends OneServerTest {

    private Path control() { return tmp.resolve("run").resolve("ctl.sock"); }

    private ServerProcess start(String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--model", "fork", "--workers", "2", "--handler", "http",
                "--bind", "127.0.0.1:0", "--control", control().toString()));
        args.addAll(List.of(extra));
        server = ServerProcess.serve(args.toArray(String[]::new));
        return server;
    }

    @Test
    void statusHelpAndErrorsAnswerOneJsonDocumentEachAndTheSupervisorCarriesOn() throws Exception {
        start();
        Map<String, Object> status = Control.send(control(), "status");
        assertEquals(true, status.get("ok"), status.toString());
        assertEquals("fork", status.get("model"));
        assertEquals(List.of(server.addresses().get(0)), status.get("listeners"));
        assertEquals(server.pid(), ((Number) status.get("pid")).longValue());
        List<Map<String, Object>> workers = Control.workers(status);
        assertEquals(2, workers.size(), status.toString());
        Set<Long> pids = new HashSet<>();
        for (Map<String, Object> w : workers) {
            pids.add(((Number) w.get("pid")).longValue());
            assertEquals("ready", w.get("state"));
            assertEquals(1L, w.get("generation"));
            for (String k : List.of("age_seconds", "served", "open", "rss_mb")) assertTrue(w.containsKey(k), k);
            assertTrue(((Number) w.get("rss_mb")).longValue() > 10, w.toString());
        }
        assertEquals(new HashSet<>(server.workerPids()), pids);

        Map<String, Object> help = Control.send(control(), "help");
        assertTrue(help.get("commands").toString().contains("reopen-logs"), help.toString());
        for (String bad : List.of("bogus", "scale", "scale many", "scale 0", "stop --graceful-timeout x", "")) {
            Map<String, Object> answer = Control.send(control(), bad);
            assertEquals(false, answer.get("ok"), bad + " -> " + answer);
            assertTrue(answer.get("error").toString().length() > 5, answer.toString());
        }
        assertEquals(true, Control.send(control(), "status").get("ok"), "still serving after bad commands");
        assertEquals("hello\n", httpGet(server.port(0)));
    }

    @Test
    void theSocketIsPrivateAndAnotherUidIsRefused() throws Exception {
        start();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(control())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(control().getParent())));
        if (!"root".equals(System.getProperty("user.name"))) return; // only root can become nobody here
        // As nobody, the 0700 directory already stops the connect.
        assertTrue(asNobody().contains("PermissionError"), "nobody reached a private control socket");
        // Open the file system gate: the peer-credential check must still refuse.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(control().getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(control(), PosixFilePermissions.fromString("rw-rw-rw-"));
        String answer = asNobody();
        assertTrue(answer.contains("\"ok\":false") && answer.contains("permission denied: uid 65534"), answer);
        // The line is written before the answer, but reaches us through a pipe reader of its own.
        server.awaitLog(l -> l.contains("control connection refused"), Duration.ofSeconds(10));
        assertEquals(true, Control.send(control(), "status").get("ok"));
    }

    /** Connects to the control socket as user nobody (python3, as a process of its own) and returns the reply. */
    private String asNobody() throws Exception {
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX)\n"
                + "try:\n s.connect(sys.argv[1]); s.sendall(b'status\\n'); print(s.recv(4096).decode())\n"
                + "except Exception as e: print(type(e).__name__, e)\n";
        Process p = new ProcessBuilder("runuser", "-u", "nobody", "--", "python3", "-c", py, control().toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return new String(p.getInputStream().readAllBytes());
    }

    @Test
    void scaleAndTtinTtouChangeTheWorkerCount() throws Exception {
        start();
        assertEquals(true, Control.send(control(), "scale 3").get("ok"));
        Control.awaitStatus(control(), s -> Control.readyWorkers(s) == 3, Duration.ofSeconds(60));
        server.signal("TTIN");
        Control.awaitStatus(control(), s -> Control.readyWorkers(s) == 4, Duration.ofSeconds(60));
        // One at a time: the kernel keeps one pending signal of a kind, so TTOUs sent faster than the supervisor
        // takes them coalesce (as with any process; 'ctl scale N' is the exact door).
        for (long target = 3; target >= 1; target--) {
            server.signal("TTOU");
            long t = target;
            Control.awaitStatus(control(), x -> Long.valueOf(t).equals(x.get("workers_target")),
                    Duration.ofSeconds(30));
        }
        Map<String, Object> s = Control.awaitStatus(control(),
                x -> Control.readyWorkers(x) == 1 && Control.workers(x).size() == 1, Duration.ofSeconds(60));
        assertEquals(1L, s.get("workers_target"));
        assertEquals("hello\n", httpGet(server.port(0)));
    }

    @Test
    void reloadBySighupAndByCommandReplacesEveryWorkerNewOnesReadyFirst() throws Exception {
        start();
        Set<Long> first = new HashSet<>(server.workerPids());
        server.signal("HUP");
        Map<String, Object> s = Control.awaitStatus(control(), x -> !Boolean.TRUE.equals(x.get("reloading"))
                && Control.workers(x).size() == 2
                && Control.workers(x).stream().allMatch(w -> w.get("generation").equals(2L)), Duration.ofSeconds(60));
        Set<Long> second = new HashSet<>();
        Control.workers(s).forEach(w -> second.add(((Number) w.get("pid")).longValue()));
        assertTrue(second.stream().noneMatch(first::contains), first + " -> " + second);
        assertEquals(true, Control.send(control(), "reload").get("ok"));
        Control.awaitStatus(control(), x -> !Boolean.TRUE.equals(x.get("reloading"))
                && Control.workers(x).stream().allMatch(w -> w.get("generation").equals(3L))
                && Control.workers(x).size() == 2, Duration.ofSeconds(60));
        Procs.awaitDead(List.copyOf(first), Duration.ofSeconds(30));
        // The log shows the order: new workers ready, then the old ones drained.
        String log = server.log();
        assertTrue(log.indexOf("reload started gen=2") < log.indexOf("draining worker="), log);
    }

    @Test
    void reloadUnderContinuousLoadFailsNoRequest() throws Exception {
        start();
        try (HttpLoad load = new HttpLoad(server.port(0), 16)) {
            Control.reloadTwiceUnderLoad(control(), server);
            String summary = load.stop();
            assertEquals(0, load.failed.get(), summary);
            assertEquals(0, load.refused.get(), summary);
            assertEquals(0, load.resetUnanswered.get(), summary);
            assertTrue(load.ok.get() > 1000, summary);
            System.out.println("reload under load: " + summary);
        }
    }

    @Test
    void reloadPicksUpAHandlerJarChangedOnDisk() throws Exception {
        Path jar = tmp.resolve("handler.jar");
        java.nio.file.Files.copy(UserHandlerJar.build(tmp, " v1", "v1.jar"), jar);
        server = ServerProcess.serve("--workers", "2", "--bind", "127.0.0.1:0", "--control", control().toString(),
                "--handler", UserHandlerJar.CLASS_NAME, "--handler-classpath", jar.toString());
        assertTrue(reverse(server.port(0)).endsWith(" v1"));
        java.nio.file.Files.copy(UserHandlerJar.build(tmp, " v2", "v2.jar"), jar,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        server.signal("HUP");
        Control.awaitStatus(control(), x -> !Boolean.TRUE.equals(x.get("reloading"))
                && Control.workers(x).stream().allMatch(w -> w.get("generation").equals(2L)), Duration.ofSeconds(60));
        for (int i = 0; i < 10; i++) assertTrue(reverse(server.port(0)).endsWith(" v2"));
    }

    private static String reverse(int port) throws Exception {
        try (var s = Clients.tcp(port)) {
            s.getOutputStream().write("ab\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
        }
    }

    @Test
    void stopByCommandAnswersThenExitsZeroAndRemovesTheSocket() throws Exception {
        start();
        Map<String, Object> answer = Control.send(control(), "stop --graceful-timeout 5");
        assertEquals(true, answer.get("ok"), answer.toString());
        assertEquals(5L, answer.get("graceful_timeout_seconds"));
        assertEquals(0, server.awaitExit(Duration.ofSeconds(30)));
        assertFalse(Files.exists(control()));
    }

    @Test
    void theCtlCommandPrintsATableOrJsonAndExitsNonZeroOnErrors() throws Exception {
        start();
        ServerProcess.Result table = ServerProcess.run(Duration.ofSeconds(60), "ctl", "--control", control().toString(),
                "status");
        assertEquals(0, table.status(), table.output());
        assertTrue(table.output().contains("PID") && table.output().contains("GEN") && table.output().contains("ready"),
                table.output());
        ServerProcess.Result json = ServerProcess.run(Duration.ofSeconds(60), "ctl", "--control", control().toString(),
                "--json", "status");
        assertEquals(0, json.status(), json.output());
        assertTrue(json.output().trim().startsWith("{\"ok\":true"), json.output());
        ServerProcess.Result bad = ServerProcess.run(Duration.ofSeconds(60), "ctl", "--control", control().toString(),
                "frobnicate");
        assertEquals(1, bad.status(), bad.output());
        assertTrue(bad.output().contains("unknown command 'frobnicate'"), bad.output());
        ServerProcess.Result none = ServerProcess.run(Duration.ofSeconds(60), "ctl", "--control",
                tmp.resolve("nothing.sock").toString(), "status");
        assertEquals(3, none.status(), none.output());
        assertEquals(1, none.lines().size(), none.output());
    }

    @Test
    void logsGoToTheLogFileAndReopenAfterRotation() throws Exception {
        Path logFile = tmp.resolve("handoff.log");
        start("--log-file", logFile.toString());
        assertTrue(Files.readString(logFile).contains("listening on"), "supervisor logs to the file");
        // A worker's own "ready" line can land a moment after the supervisor's "listening on".
        server.awaitLog(l -> l.contains("[worker-1]"), Duration.ofSeconds(10));
        assertTrue(Files.readString(logFile).contains("[worker-1]"), "workers log to the same file");
        Path rotated = tmp.resolve("handoff.log.1");
        Files.move(logFile, rotated);
        assertEquals(true, Control.send(control(), "reopen-logs").get("ok"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && !(Files.exists(logFile)
                && Files.readString(logFile).contains("[worker-1]") && Files.readString(logFile).contains("[worker-2]")
                && Files.readString(logFile).contains("[supervisor]"))) {
            Thread.sleep(50);
        }
        String fresh = Files.readString(logFile);
        assertTrue(fresh.contains("[supervisor]") && fresh.contains("[worker-1]") && fresh.contains("[worker-2]"), fresh);
        server.signal("USR1");
        Files.move(logFile, tmp.resolve("handoff.log.2"));
        server.signal("USR1");
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && !Files.exists(logFile)) Thread.sleep(50);
        assertTrue(Files.exists(logFile), "SIGUSR1 reopened the log file");
    }

    static String httpGet(int port) throws Exception {
        try (var s = Clients.tcp(port)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
            return Clients.readResponse(s.getInputStream()).body();
        }
    }
}

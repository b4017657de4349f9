package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The supervisor's lifecycle against the environments and handlers that broke it: started with its signals ignored
 * (nohup, a script's background job), and user handlers whose static initialiser hangs, exits or throws.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LifecycleTest extends OneServerTest {
    /**
     * Every signal handoff relies on, ignored the way nohup (HUP) and a non-interactive shell's {@code &} (INT,
     * QUIT) ignore them, and the rest for good measure.
     */
    private static final String IGNORE_ALL = "trap '' HUP INT QUIT TERM USR1 USR2 TTIN TTOU; exec \"$@\"";
    private static final long HUP = 1L << 0, INT = 1L << 1, QUIT = 1L << 2, USR1 = 1L << 9, USR2 = 1L << 11,
            TERM = 1L << 14, TTIN = 1L << 20, TTOU = 1L << 21;

    /** Starts {@code handoff serve ARGS} from a shell that ignores every signal first; exec keeps its pid. */
    private ServerProcess serveWithSignalsIgnored(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", IGNORE_ALL, "bash"));
        cmd.addAll(ServerProcess.javaCommand());
        cmd.add("serve");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return ServerProcess.adopt(p, 1);
    }

    private static long ignoredMask(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("SigIgn:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
        }
        throw new AssertionError("no SigIgn in /proc/" + pid + "/status");
    }

    @Test
    void forkSupervisorAndWorkersAnswerSignalsIgnoredAtStart() throws Exception {
        server = serveWithSignalsIgnored("--workers", "2", "--handler", "hello", "--bind", "127.0.0.1:0");
        long relied = HUP | INT | QUIT | TERM | USR1 | USR2 | TTIN | TTOU;
        assertEquals(0, ignoredMask(server.pid()) & relied,
                "supervisor SigIgn=" + Long.toHexString(ignoredMask(server.pid())));
        List<Long> workers = server.awaitWorkers(2, Set.of(), Duration.ofSeconds(30));
        for (long w : workers) {
            // A worker ignores INT on purpose (Ctrl-C in a terminal is the supervisor's to handle); nothing else.
            assertEquals(INT, ignoredMask(w) & relied, "worker " + w + " SigIgn=" + Long.toHexString(ignoredMask(w)));
        }
        Procs.kill(workers.get(0), "QUIT");
        server.awaitLog(l -> l.startsWith("Full thread dump"), Duration.ofSeconds(10));
        assertTrue(ProcessHandle.of(workers.get(0)).map(ProcessHandle::isAlive).orElse(false),
                "QUIT makes a worker dump its threads, not die");

        server.signal("USR1");
        server.awaitLog(l -> l.contains("reopen logs"), Duration.ofSeconds(10));
        server.signal("TTIN");
        server.awaitLog(l -> l.contains("scale workers 2 -> 3"), Duration.ofSeconds(10));
        server.signal("TTOU");
        server.awaitLog(l -> l.contains("scale workers 3 -> 2"), Duration.ofSeconds(10));
        server.signal("HUP");
        server.awaitLog(l -> l.contains("reload complete gen=2"), Duration.ofSeconds(60));
        assertEquals("Hello 127.0.0.1\n", Clients.readAll(server.addresses().get(0)));
        server.signal("INT");
        assertEquals(0, server.awaitExit(Duration.ofSeconds(30)), server.log());
    }

    @ParameterizedTest
    @ValueSource(strings = {"threads", "virtual", "events"})
    void inProcessModelsAnswerSignalsIgnoredAtStart(String model) throws Exception {
        server = serveWithSignalsIgnored("--model", model, "--handler", "hello", "--bind", "127.0.0.1:0");
        assertEquals(0, ignoredMask(server.pid()) & (HUP | INT | TERM | USR1));
        server.signal("HUP");
        server.awaitLog(l -> l.contains("reload: handler hello loaded afresh"), Duration.ofSeconds(10));
        server.signal("TERM");
        assertEquals(0, server.awaitExit(Duration.ofSeconds(30)), server.log());
    }

    /**
     * In fork the supervisor must not run user code: a handler whose static initialiser never returns used to hang
     * the supervisor in class loading, before any worker existed. Now each worker hangs instead, is killed at
     * --boot-timeout (3 s: older than the 2 s a death counts as "young" for, which the count used to miss),
     * respawned later each time, and the supervisor gives up with one line and status 1.
     */
    @Test
    void aHandlerThatHangsWhileLoadingIsRetriedWithBackoffThenGivenUp() throws Exception {
        Path jar = UserHandlerJar.badStaticInit(tmp, "Stuck",
                "if (true) while (true) { try { Thread.sleep(60_000); } catch (InterruptedException e) { } }");
        long t0 = System.nanoTime();
        ServerProcess.Result r = ServerProcess.run(Duration.ofSeconds(120), "serve", "--workers", "1",
                "--handler", "example.Stuck", "--handler-classpath", jar.toString(), "--boot-timeout", "3",
                "--bind", "127.0.0.1:0");
        long seconds = (System.nanoTime() - t0) / 1_000_000_000;
        assertEquals(1, r.status(), r.output());
        assertEquals(5, r.lines().stream().filter(l -> l.contains("worker not ready within --boot-timeout")).count(),
                r.output());
        List<String> delays = r.lines().stream().filter(l -> l.contains("next spawn in")).toList();
        assertEquals(4, delays.size(), r.output());
        assertTrue(delays.get(0).contains("next spawn in 200ms") && delays.get(3).contains("next spawn in 1600ms"),
                String.join("\n", delays));
        assertTrue(r.output().contains("5 workers in a row failed to start (the last died before ready"),
                r.output());
        assertFalse(r.output().contains("listening on"), r.output());
        assertTrue(seconds >= 15, "5 tries of 3 s plus the delays took " + seconds + " s");
    }

    /** A static initialiser that exits would have taken the supervisor with it; in fork it takes a worker. */
    @Test
    void aHandlerThatExitsWhileLoadingTakesOnlyItsWorker() throws Exception {
        Path jar = UserHandlerJar.badStaticInit(tmp, "Exits", "System.exit(7);");
        ServerProcess.Result r = ServerProcess.run(Duration.ofSeconds(60), "serve", "--workers", "1",
                "--handler", "example.Exits", "--handler-classpath", jar.toString(), "--bind", "127.0.0.1:0");
        assertEquals(1, r.status(), r.output());
        assertEquals(5, r.lines().stream().filter(l -> l.contains("worker died") && l.contains("status=7")).count(),
                r.output());
        assertTrue(r.output().contains("failed to start"), r.output());
    }

    /** One that throws is a boot error: the worker exits 3, and the supervisor stops at once with one line. */
    @Test
    void aHandlerThatThrowsWhileLoadingIsABootError() throws Exception {
        Path jar = UserHandlerJar.badStaticInit(tmp, "Throws",
                "if (true) throw new IllegalStateException(\"no config\");");
        ServerProcess.Result r = ServerProcess.run(Duration.ofSeconds(60), "serve", "--workers", "2",
                "--handler", "example.Throws", "--handler-classpath", jar.toString(), "--bind", "127.0.0.1:0");
        assertEquals(1, r.status(), r.output());
        assertTrue(r.output().contains("cannot boot (exit 3)"), r.output());
        assertTrue(r.output().contains("static initialiser failed: java.lang.IllegalStateException: no config"),
                r.output());
        // The same class in an in-process model runs where it is loaded: a clear line, status 2.
        ServerProcess.Result inProcess = ServerProcess.run(Duration.ofSeconds(60), "serve", "--model", "virtual",
                "--handler", "example.Throws", "--handler-classpath", jar.toString(), "--bind", "127.0.0.1:0");
        assertEquals(2, inProcess.status(), inProcess.output());
        assertTrue(inProcess.output().contains("no config"), inProcess.output());
    }
}

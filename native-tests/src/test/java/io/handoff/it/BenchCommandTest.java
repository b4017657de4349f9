package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code handoff bench} as a user runs it: real servers started and stopped, real load, the table and files it
 * writes, nothing left running afterwards (also when it is interrupted), and one-line errors for bad flags.
 */
class BenchCommandTest {
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern PIDS = Pattern.compile("\"serverPids\": \\[([^\\]]*)\\]");

    /** The bench process's exit status, stdout and stderr. */
    record Result(int status, String out, String err) {
        /** The table's rows split on whitespace, without the header. */
        List<List<String>> rows() {
            // The set-up line, then the table's header, then a row per run.
            return out.lines().filter(l -> !l.startsWith("setup: ")).skip(1)
                    .map(l -> List.of(l.trim().split("\\s+"))).toList();
        }
    }

    private static Process start(Path logs, String... args) throws IOException {
        List<String> cmd = ServerProcess.javaCommand();
        cmd.add("bench");
        cmd.addAll(List.of(args));
        Files.createDirectories(logs);
        // In the test's temporary directory, so a default --out would land there, not in the source tree.
        return new ProcessBuilder(cmd).directory(logs.getParent().toFile())
                .redirectOutput(logs.resolve("stdout").toFile())
                .redirectError(logs.resolve("stderr").toFile()).start();
    }

    /** Runs {@code handoff bench ARGS} to completion (bounded); kills what is left if it does not finish. */
    private static Result run(Path logs, String... args) throws Exception {
        Process p = start(logs, args);
        try {
            if (!p.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("handoff bench " + String.join(" ", args) + " did not exit within "
                        + RUN_TIMEOUT + "\n" + Files.readString(logs.resolve("stderr")));
            }
            return new Result(p.exitValue(), Files.readString(logs.resolve("stdout")),
                    Files.readString(logs.resolve("stderr")));
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static void assertAllDead(Set<Long> pids, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline && pids.stream().anyMatch(Procs::alive)) Thread.sleep(50);
        assertEquals(Set.of(), new TreeSet<>(pids.stream().filter(Procs::alive).toList()),
                "processes started by bench still alive");
    }

    /** Every pid listed in a "serverPids" array of results.json. */
    private static Set<Long> serverPids(String json) {
        Set<Long> pids = new TreeSet<>();
        Matcher m = PIDS.matcher(json);
        while (m.find()) {
            for (String p : m.group(1).split(",")) {
                if (!p.isBlank()) pids.add(Long.parseLong(p.trim()));
            }
        }
        return pids;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void benchesEachModelAndModeAndLeavesNothingRunning(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("results");
        Result r = run(tmp.resolve("logs"), "--models", "virtual,fork", "--workers", "1", "--connections", "10",
                "--duration", "2s", "--warmup", "1s", "--mode", "both", "--out", out.toString());
        assertEquals(0, r.status(), r.out() + r.err());

        List<List<String>> rows = r.rows();
        assertEquals(4, rows.size(), r.out());
        List<String> seen = new ArrayList<>();
        for (List<String> row : rows) {
            seen.add(row.get(0) + " " + row.get(1));
            assertEquals("10", row.get(2), r.out());
            assertTrue(Double.parseDouble(row.get(3)) > 0, "req/s > 0: " + row);
            assertEquals("0", row.get(7), "no errors: " + row);
            assertTrue(Double.parseDouble(row.get(8)) > 0, "server CPU per request: " + row);
            assertTrue(Double.parseDouble(row.get(9)) > 10, "peak RSS of a JVM: " + row);
        }
        assertEquals(List.of("virtual keepalive", "virtual close", "fork keepalive", "fork close"), seen);

        String json = Files.readString(out.resolve("results.json"));
        String html = Files.readString(out.resolve("report.html"));
        for (String model : List.of("virtual", "fork")) {
            assertTrue(json.contains("\"model\": \"" + model + "\""), json);
            assertTrue(html.contains("<td>" + model + "</td>"), "report.html has a row for " + model);
        }
        assertTrue(json.contains("\"command\": \"handoff bench --models virtual,fork"), json);
        assertTrue(json.contains("\"cores\": "), json);
        // Every server started the same way, and the set-up said with the figures (pinned on two or more cores).
        String kind = Runtime.getRuntime().availableProcessors() >= 2 ? "pinned" : "shared";
        assertTrue(json.contains("\"kind\": \"" + kind + "\""), json);
        assertTrue(html.contains("<dt>set-up</dt><dd>" + kind + ":"), "report.html says the set-up");
        assertTrue(r.out().startsWith("setup: " + kind + ":"), r.out());
        assertTrue(html.contains("data:image/png;base64,"), "report.html embeds its charts");

        // Four servers, and the fork ones had a worker each: at least six processes, none of them left.
        Set<Long> pids = serverPids(json);
        assertTrue(pids.size() >= 6, "pids started: " + pids);
        assertAllDead(pids, Duration.ofSeconds(5));
    }

    /** A tiny HTTP/1.1 server in this JVM: keep-alive, and closes after a request that asked to. */
    private static void http(Socket s) {
        byte[] ok = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n".getBytes(StandardCharsets.US_ASCII);
        byte[] okClose = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n"
                .getBytes(StandardCharsets.US_ASCII);
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            StringBuilder head = new StringBuilder();
            for (int b; (b = in.read()) >= 0; ) {
                head.append((char) b);
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    boolean close = head.toString().toLowerCase(Locale.ROOT).contains("connection: close");
                    out.write(close ? okClose : ok);
                    out.flush();
                    if (close) return;
                    head.setLength(0);
                }
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void benchesAnExternalTargetByAddress(@TempDir Path tmp) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> http(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Path out = tmp.resolve("results");
            Result r = run(tmp.resolve("logs"), "--target", "tiny=127.0.0.1:" + server.getLocalPort(),
                    "--connections", "4", "--duration", "1s", "--warmup", "300ms", "--mode", "keepalive",
                    "--out", out.toString());
            assertEquals(0, r.status(), r.out() + r.err());
            List<List<String>> rows = r.rows();
            assertEquals(1, rows.size(), "only the target runs when --models is not given:\n" + r.out());
            for (List<String> row : rows) {
                assertEquals("tiny", row.get(0), r.out());
                assertTrue(Double.parseDouble(row.get(3)) > 0, "req/s > 0: " + row);
                assertEquals("0", row.get(7), "no errors: " + row);
                // The server's process (this JVM) is found by its listening port, so its CPU and memory show.
                assertNotEquals("-", row.get(8), r.out());
                assertNotEquals("-", row.get(9), r.out());
            }
            String json = Files.readString(out.resolve("results.json"));
            assertTrue(json.contains("\"kind\": \"target\""), json);
            assertTrue(json.contains("\"address\": \"127.0.0.1:" + server.getLocalPort() + "\""), json);
            assertTrue(serverPids(json).contains(ProcessHandle.current().pid()), json);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void interruptingBenchStopsTheServerItStarted(@TempDir Path tmp) throws Exception {
        Path logs = tmp.resolve("logs");
        Process p = start(logs, "--models", "fork", "--workers", "1", "--connections", "10", "--mode", "keepalive",
                "--duration", "30s", "--warmup", "10s", "--out", tmp.resolve("results").toString());
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            // Interrupted during the warm-up: the server and its worker are up and under load.
            while (System.nanoTime() < deadline && !Files.readString(logs.resolve("stderr")).contains("warm-up")) {
                assertTrue(p.isAlive(), "bench exited early:\n" + Files.readString(logs.resolve("stderr")));
                Thread.sleep(50);
            }
            Set<Long> started = new TreeSet<>();
            p.descendants().forEach(h -> started.add(h.pid()));
            assertTrue(started.size() >= 2, "a server and its worker: " + started);
            new ProcessBuilder("kill", "-s", "INT", Long.toString(p.pid())).inheritIO().start()
                    .waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "bench did not exit on SIGINT");
            assertAllDead(started, Duration.ofSeconds(5));
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @ParameterizedTest(name = "{0}")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @CsvSource(delimiter = '|', value = {
        "--models bogus                       | bogus",
        "--connections 10,,100                | --connections",
        "--duration 5x                        | --duration",
        "--duration 50ms                      | --duration",
        "--mode sideways                      | --mode",
        "--handler hello --mode keepalive     | hello",
        "--target nowhere                     | --target",
    })
    void badValuesExitWithStatus2AndOneLine(String args, String mentions, @TempDir Path tmp) throws Exception {
        Result r = run(tmp.resolve("logs"), args.trim().split("\\s+"));
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), "exactly one line, got:\n" + r.err());
        assertTrue(r.err().contains(mentions.trim()), r.err());
        assertFalse(Files.exists(tmp.resolve("bench-results")));
    }
}

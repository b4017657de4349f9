package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line's promises: one-line errors with status 2, --help and --version, and the launcher script. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommandLineTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final byte[] GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--model bogus            | --model",
        "--workers 0              | --workers",
        "--workers many           | --workers",
        "--threads 0              | --threads",
        "--bind nonsense          | --bind",
        "--bind 127.0.0.1:70000   | 70000",
        "--bind [::1              | --bind",
        "--bind unix:             | unix:PATH",
        "--handler no.such.Class  | no.such.Class",
        "--no-such-flag           | --no-such-flag",
        "--idle-timeout -1        | --idle-timeout",
        "--read-timeout soon      | --read-timeout",
        "--read-timeout 99999999999 | --read-timeout",
        "--max-header-bytes 100   | --max-header-bytes",
        "--max-body-bytes -1      | --max-body-bytes",
        "--boot-timeout 0         | --boot-timeout must be at least 1s",
        "--timeout abc            | 'abc' is not a duration",
        "--graceful-timeout 10x   | --graceful-timeout",
        "--idle-timeout 500days   | --idle-timeout",
    })
    void badValuesExitWithStatus2AndOneLineSayingWhatIsWrong(String args, String mentions) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("serve"));
        argv.addAll(List.of(args.trim().split("\\s+")));
        ServerProcess.Result r = ServerProcess.run(T, argv.toArray(String[]::new));
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.lines().size(), "exactly one line, got:\n" + r.output());
        assertTrue(r.output().contains(mentions.trim()), r.output());
    }

    /** 500ms reaches the stop: not rounded to 0 (an immediate stop) nor to the 10s default. */
    @Test
    void aSubSecondGracefulTimeoutIsTheStopDeadline() throws Exception {
        try (ServerProcess s = ServerProcess.serve("--model", "events", "--handler", "http", "--bind", "127.0.0.1:0",
                "--graceful-timeout", "500ms");
                Socket sock = Clients.tcp(s.port(0))) {
            sock.getOutputStream().write(GET);
            assertEquals(200, Clients.readResponse(sock.getInputStream()).status());
            long t0 = System.nanoTime();
            s.signal("TERM"); // the kept-alive connection holds the stop until the deadline
            assertEquals(0, s.awaitExit(Duration.ofSeconds(20)), s.log());
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= 400 && took < 5_000, "stopped after " + took + "ms\n" + s.log());
            assertTrue(s.log().contains("stopped by force"), s.log());
        }
    }

    /** A fork worker learns a sub-second --idle-timeout too: a kept-alive client gone quiet is closed in about 500ms. */
    @Test
    void aSubSecondIdleTimeoutReachesForkWorkers() throws Exception {
        try (ServerProcess s = ServerProcess.serve("--model", "fork", "--workers", "1", "--handler", "http",
                "--bind", "127.0.0.1:0", "--idle-timeout", "500ms");
                Socket quiet = Clients.tcp(s.port(0))) {
            quiet.getOutputStream().write(GET);
            assertEquals(200, Clients.readResponse(quiet.getInputStream()).status());
            long t0 = System.nanoTime();
            assertEquals(-1, quiet.getInputStream().read(), "closed by the server");
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= 300 && took < 5_000, "closed after " + took + "ms");
        }
    }

    @Test
    void aPortInUseExitsWithStatus2AndOneLine() throws Exception {
        try (ServerSocketChannel holder = ServerSocketChannel.open()) {
            holder.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) holder.getLocalAddress()).getPort();
            for (String model : List.of("fork", "threads", "virtual")) {
                ServerProcess.Result r = ServerProcess.run(T, "serve", "--model", model, "--bind", "127.0.0.1:" + port);
                assertEquals(2, r.status(), r.output());
                assertEquals(1, r.lines().size(), "exactly one line, got:\n" + r.output());
                assertTrue(r.output().contains("127.0.0.1:" + port) && r.output().contains("in use"), r.output());
            }
        }
    }

    @Test
    void helpAndVersionWork() throws Exception {
        ServerProcess.Result help = ServerProcess.run(T, "serve", "--help");
        assertEquals(0, help.status(), help.output());
        for (String flag : List.of("--model", "--workers", "--threads", "--bind", "--handler", "--handler-classpath",
                "--root", "--idle-timeout", "--read-timeout", "--max-header-bytes", "--max-body-bytes")) {
            assertTrue(help.output().contains(flag), "help lacks " + flag + ":\n" + help.output());
        }
        assertTrue(help.output().contains("500ms"), "help shows the duration syntax:\n" + help.output());
        ServerProcess.Result version = ServerProcess.run(T, "--version");
        assertEquals(0, version.status(), version.output());
        assertTrue(version.output().startsWith("handoff "), version.output());
    }

    /** The README's run command: finds a JDK by itself, uses the jars the build made, and speaks the same CLI. */
    @Test
    void theLauncherScriptFindsAJdkAndRunsTheCli() throws Exception {
        Path script = Path.of("..", "scripts", "handoff").toAbsolutePath().normalize();
        assertTrue(Files.isExecutable(script), script.toString());
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "serve", "--model", "bogus").redirectErrorStream(true);
        pb.environment().remove("JAVA_HOME"); // it must find a JDK 21+ on its own
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "launcher did not finish");
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.lines().anyMatch(l -> l.startsWith("handoff serve: ") && l.contains("bogus")), out);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}

package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
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
    })
    void badValuesExitWithStatus2AndOneLineSayingWhatIsWrong(String args, String mentions) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("serve"));
        argv.addAll(List.of(args.trim().split("\\s+")));
        ServerProcess.Result r = ServerProcess.run(T, argv.toArray(String[]::new));
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.lines().size(), "exactly one line, got:\n" + r.output());
        assertTrue(r.output().contains(mentions.trim()), r.output());
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

package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

/** bench's options as picocli parses them, and the checks across options that validate() adds. */
class BenchOptionsTest {
    /** Parses and validates as {@code handoff bench ARGS} would, without running anything. */
    private static BenchConfig config(String... args) {
        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs(args);
        return bench.validate();
    }

    @Test
    void defaults() {
        BenchConfig c = config();
        assertEquals(List.of("fork", "threads", "virtual"), c.models());
        assertEquals(Workload.http, c.handler());
        assertEquals(List.of(10, 100, 1000), c.connections());
        assertEquals(List.of(Mode.keepalive, Mode.close), c.modes());
        assertEquals(Duration.ofSeconds(10), c.duration());
        assertEquals(Duration.ofSeconds(2), c.warmup());
        assertEquals(Duration.ofSeconds(2), c.timeout());
        assertEquals(List.of(), c.targets());
    }

    @Test
    void listsSplitOnCommasAndValuesConvert() {
        BenchConfig c = config("--models", "virtual,fork", "--connections", "7,70", "--mode", "close",
                "--duration", "1m30s", "--warmup", "500ms", "--timeout", "1.5s", "--handler", "hello",
                "--target", "nginx=127.0.0.1:9001", "--target", "[::1]:80");
        assertEquals(List.of("virtual", "fork"), c.models());
        assertEquals(List.of(7, 70), c.connections());
        assertEquals(List.of(Mode.close), c.modes());
        assertEquals(Duration.ofSeconds(90), c.duration());
        assertEquals(Duration.ofMillis(500), c.warmup());
        assertEquals(Duration.ofMillis(1500), c.timeout());
        assertEquals(Workload.hello, c.handler());
        assertEquals(List.of(new Target("nginx", "127.0.0.1", 9001), new Target("[::1]:80", "::1", 80)),
                c.targets());
    }

    @Test
    void everyServerStartsInItsOwnSessionPinnedOrNot() {
        BenchConfig pinned = config("--setup", "pinned", "--server-cpus", "0", "--load-cpus", "0");
        assertEquals(List.of("setsid", "taskset", "-c", "0", "java", "x"), pinned.setup().wrap(List.of("java", "x")));
        assertTrue(pinned.setup().describe().startsWith("pinned: servers on CPU 0, load generator on CPU 0"));
        BenchConfig shared = config("--setup", "shared");
        assertEquals(List.of("setsid", "java", "x"), shared.setup().wrap(List.of("java", "x")));
        assertEquals(Runtime.getRuntime().availableProcessors() >= 2 ? Setup.Kind.pinned : Setup.Kind.shared,
                config().setup().kind(), "the default");
    }

    @Test
    void aCpuListTheMachineLacksIsRefusedWithOneLine() {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> config("--setup", "pinned", "--server-cpus", "4095"));
        assertTrue(e.getMessage().startsWith("--setup pinned: cannot pin to CPU list '4095'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aTargetAloneRunsNoModel() {
        assertEquals(List.of(), config("--target", "127.0.0.1:9001").models());
    }

    @Test
    void aModeTheHandlerDoesNotSpeakIsDroppedFromBoth() {
        assertEquals(List.of(Mode.close), config("--handler", "hello").modes());
        assertEquals(List.of(Mode.keepalive), config("--handler", "echo").modes());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--models bogus                   | 'bogus'",
        "--models fork,,virtual           | --models",
        "--models fork,fork               | repeats a model",
        "--connections 10,,100            | --connections",
        "--connections 0                  | '0' is not a whole number from 1 to 100000",
        "--connections 100001             | --connections",
        "--connections ten                | 'ten'",
        "--connections 99999999999        | --connections",
        "--connections 10,10              | repeats a value",
        "--mode sideways                  | 'sideways'",
        "--handler hello --mode keepalive | hello handler only runs in close mode",
        "--handler nope                   | --handler",
        "--duration 5x                    | '5x' is not a duration",
        "--duration 50ms                  | --duration: must be between 100ms and 24h, got 50ms",
        "--warmup 2h                      | --warmup",
        "--timeout PT2S                   | --timeout",
        "--timeout 61s                    | --timeout",
        "--target nowhere                 | --target",
        "--target h:0                     | --target",
        "--models fork --target fork=127.0.0.1:80 | used twice",
        "--workers 0                      | --workers",
        "--client-threads 0               | --client-threads",
    })
    void badValuesSayWhatIsWrongOnOneLine(String args, String mentions) {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> config(args.trim().split("\\s+")));
        assertTrue(e.getMessage().contains(mentions.trim()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void targets() {
        assertEquals(new Target("127.0.0.1:9001", "127.0.0.1", 9001), Target.parse("127.0.0.1:9001"));
        assertEquals(new Target("nginx", "127.0.0.1", 9001), Target.parse("nginx=127.0.0.1:9001"));
        assertEquals(new Target("[::1]:80", "::1", 80), Target.parse("[::1]:80"));
        assertEquals("[::1]:80", Target.parse("v6=[::1]:80").hostPort());
        assertEquals(new Target("localhost:8080", "localhost", 8080), Target.parse("localhost:8080"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "127.0.0.1", "127.0.0.1:", ":80", "=127.0.0.1:80", "h:0", "h:65536", "h:http",
        "::1:80"})
    void badTargets(String text) {
        assertThrows(IllegalArgumentException.class, () -> Target.parse(text));
    }

    @Test
    void workloadsHaveTheirModes() {
        assertEquals(List.of(Mode.keepalive, Mode.close), Workload.http.modes());
        assertEquals(Protocol.HTTP_CLOSE, Workload.http.protocol(Mode.close));
        assertEquals(Protocol.HELLO, Workload.hello.protocol(Mode.close));
        assertEquals(List.of(Mode.keepalive), Workload.echo.modes());
    }
}

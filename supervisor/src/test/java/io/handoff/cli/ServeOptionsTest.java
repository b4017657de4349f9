package io.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.handoff.supervisor.Durations;
import picocli.CommandLine;

/** serve's timeouts take the duration syntax; what reaches the configuration is checked natively. */
class ServeOptionsTest {
    private static ServeCommand parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve;
    }

    @Test
    void timeoutsTakeUnitsAndBareSeconds() {
        ServeCommand s = parse("--graceful-timeout", "500ms", "--boot-timeout", "1m", "--timeout", "45",
                "--idle-timeout", "1m30s", "--read-timeout", "0");
        assertEquals(Duration.ofMillis(500), s.gracefulTimeout);
        assertEquals(Duration.ofMinutes(1), s.bootTimeout);
        assertEquals(Duration.ofSeconds(45), s.timeout);
        assertEquals(Duration.ofSeconds(90), s.idleTimeout);
        assertEquals(Duration.ZERO, s.readTimeout);
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        ServeCommand s = parse();
        assertEquals(Duration.ofSeconds(10), s.gracefulTimeout);
        assertEquals(Duration.ofSeconds(30), s.bootTimeout);
        assertEquals(Duration.ofSeconds(30), s.timeout);
        assertEquals(Duration.ofSeconds(60), s.idleTimeout);
        assertEquals(Duration.ofSeconds(30), s.readTimeout);
    }

    @Test
    void aBadDurationNamesTheOptionAndTheSyntax() {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--timeout", "abc"));
        assertTrue(e.getMessage().contains("--timeout") && e.getMessage().contains("'abc' is not a duration")
                && e.getMessage().contains(Durations.SYNTAX), e.getMessage());
    }
}

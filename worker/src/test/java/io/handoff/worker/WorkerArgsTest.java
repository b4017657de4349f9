package io.handoff.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.handoff.handler.Timeouts;

class WorkerArgsTest {
    @Test
    void timeoutsArriveInMillisecondsSoSubSecondValuesSurvive() {
        WorkerMain.WorkerArgs a = WorkerMain.WorkerArgs.parse(new String[] {"--link", "/l.sock",
            "--idle-timeout-ms", "500", "--read-timeout-ms", "0"});
        assertEquals(new Timeouts(Duration.ofMillis(500), Duration.ZERO), a.timeouts());
    }

    @Test
    void withoutTimeoutArgumentsTheDefaultsOfServeApply() {
        WorkerMain.WorkerArgs a = WorkerMain.WorkerArgs.parse(new String[] {"--link", "/l.sock"});
        assertEquals(new Timeouts(Duration.ofSeconds(Timeouts.DEFAULT_IDLE_SECONDS),
                Duration.ofSeconds(Timeouts.DEFAULT_READ_SECONDS)), a.timeouts());
    }

    @Test
    void aNegativeTimeoutIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> WorkerMain.WorkerArgs.parse(new String[] {"--link",
            "/l.sock", "--idle-timeout-ms", "-1"}));
    }
}

package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BenchArgsTest {
    @ParameterizedTest
    @CsvSource({
        "10s, 10000",
        "10, 10000",
        "500ms, 500",
        "2m, 120000",
        "1m30s, 90000",
        "1.5s, 1500",
        "1h, 3600000",
        "0s, 0",
        "' 3s ', 3000",
    })
    void durations(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), Args.parseDuration(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "s", "10x", "-1s", "1.s", "10 s", "s10", "1m30", "ten", "99999999999999h"})
    void badDurations(String text) {
        assertThrows(IllegalArgumentException.class, () -> Args.parseDuration(text));
    }

    @Test
    void formatsDurationsTheWayTheyAreTyped() {
        assertEquals("10s", Args.format(Duration.ofSeconds(10)));
        assertEquals("500ms", Args.format(Duration.ofMillis(500)));
        assertEquals("1.5s", Args.format(Duration.ofMillis(1500)));
    }

    @Test
    void intLists() {
        assertEquals(List.of(10, 100, 1000), Args.parsePositiveInts("10,100,1000"));
        assertEquals(List.of(7), Args.parsePositiveInts("7"));
        assertEquals(List.of(1, 2), Args.parsePositiveInts(" 1 , 2 "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10,,100", "10,", ",10", "0", "-5", "ten", "1.5", "99999999999"})
    void badIntLists(String text) {
        assertThrows(IllegalArgumentException.class, () -> Args.parsePositiveInts(text));
    }

    @Test
    void stringLists() {
        assertEquals(List.of("fork", "threads", "virtual"), Args.splitList("fork,threads, virtual"));
        assertThrows(IllegalArgumentException.class, () -> Args.splitList("fork,,virtual"));
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

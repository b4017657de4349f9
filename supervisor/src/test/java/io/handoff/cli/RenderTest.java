package io.handoff.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.handoff.control.Json;

class RenderTest {
    @Test
    void statusShowsDatagramCountersInTotalAndPerWorker() {
        var worker = Json.object("id", 1, "pid", 42, "generation", 1, "state", "ready", "age_seconds", 3,
                "served", 0, "open", 0, "rss_mb", 70, "datagrams", Json.object("in", 1234, "out", 1200,
                        "dropped", 34, "failed", 0, "undelivered", 0));
        String text = Render.human(Json.object("command", "status", "pid", 7, "model", "fork", "handler", "echo",
                "uptime_seconds", 3, "listeners", List.of("udp:127.0.0.1:5300"), "open", 0,
                "datagrams_by_current_workers", Json.object("in", 1234, "out", 1200, "dropped", 34, "failed", 0,
                        "undelivered", 0), "workers", List.of(worker)));
        assertTrue(text.contains("datagrams in 1234  out 1200  dropped 34"), text);
        assertTrue(text.matches("(?s).*DGRAM IN.*\\n1 +42 .* 1234 +1200 +34\\n.*"), text);
    }

    @Test
    void statusWithoutDatagramsHasNoDatagramColumns() {
        String text = Render.human(Json.object("command", "status", "pid", 7, "model", "threads", "handler", "http",
                "uptime_seconds", 3, "listeners", List.of("127.0.0.1:8000"), "open", 0, "workers", List.of()));
        assertFalse(text.contains("datagrams"), text);
    }
}

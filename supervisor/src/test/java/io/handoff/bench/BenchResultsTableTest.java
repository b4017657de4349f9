package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.handoff.control.Json;

class BenchResultsTableTest {
    private static RunResult ok(String name, Mode mode, int conns, long requests) {
        LoadResult load = new LoadResult(requests, 2.0, 1.0, new LoadResult.Latency(0.5, 1, 2.25, 123.4, 200, 0.7),
                new LoadResult.ErrorCounts(1, 0, 2, 0));
        return new RunResult(RunSpec.model(name, Workload.http, mode, conns), "127.0.0.1:1", load, 12.34, 1.0, 5.0,
                150.5, 151.0, List.of(1L, 2L), 0, null);
    }

    @Test
    void oneRowPerRunWithSplittableColumns() {
        RunResult target = new RunResult(RunSpec.target(Target.parse("nginx=127.0.0.1:9001"), Workload.http,
                Mode.close, 100), "127.0.0.1:9001", new LoadResult(10, 1.0, 1.0, LoadResult.Latency.of(
                        new org.HdrHistogram.Histogram(3)), new LoadResult.ErrorCounts(0, 0, 0, 0)),
                null, null, null, null, null, List.of(), null, null);
        RunResult failed = RunResult.failed(RunSpec.model("threads", Workload.http, Mode.keepalive, 10), null,
                List.of(), "boom");
        String t = ResultsTable.render(List.of(ok("fork", Mode.keepalive, 100, 200_000), target, failed), false);
        List<String> lines = t.lines().toList();
        assertEquals(4, lines.size(), t);
        assertTrue(lines.get(0).startsWith("model"), t);
        assertEquals(List.of("fork", "keepalive", "100", "100000", "0.50", "2.25", "123", "3", "12.3", "150.5"),
                List.of(lines.get(1).trim().split("\\s+")));
        assertEquals(List.of("nginx", "close", "100", "10", "0.00", "0.00", "0.00", "0", "-", "-"),
                List.of(lines.get(2).trim().split("\\s+")));
        assertTrue(lines.get(3).contains("FAILED"), t);
    }

    @Test
    void resultsJsonHoldsEveryFigure() {
        String json = Json.writePretty(ResultsJson.run(ok("virtual", Mode.close, 10, 1000)));
        for (String key : List.of("\"requestsPerSecond\": 500", "\"p999\": 123.4", "\"timeout\": 2",
                "\"serverCpuMicrosPerRequest\": 12.34", "\"peakRssMb\": 150.5", "\"serverPids\"")) {
            assertTrue(json.contains(key), key + " in " + json);
        }
    }
}

package io.handoff.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated bench command line.
 *
 * @param models        handoff models to start and measure, in order (empty when only targets run)
 * @param workers       {@code --workers} for the servers; null for their default
 * @param clientThreads event-loop threads of the load generator
 * @param timeout       a request (or connect) slower than this counts as an error and its connection is replaced
 * @param setup         how servers and the generator share the CPUs
 */
record BenchConfig(List<String> models, Workload handler, List<Integer> connections, List<Mode> modes,
        Duration duration, Duration warmup, Integer workers, Path out, List<Target> targets, int clientThreads,
        Duration timeout, Setup setup) {
    BenchConfig {
        models = List.copyOf(models);
        connections = List.copyOf(connections);
        modes = List.copyOf(modes);
        targets = List.copyOf(targets);
    }

    /** Every run, in the order they happen: each model, then each target; within each, by mode then connections. */
    List<RunSpec> runs() {
        List<RunSpec> out = new ArrayList<>();
        for (String model : models) {
            for (Mode mode : modes) {
                for (int c : connections) out.add(RunSpec.model(model, handler, mode, c));
            }
        }
        for (Target t : targets) {
            for (Mode mode : modes) {
                for (int c : connections) out.add(RunSpec.target(t, handler, mode, c));
            }
        }
        return out;
    }
}

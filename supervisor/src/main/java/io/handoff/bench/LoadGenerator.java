package io.handoff.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;

/**
 * The built-in load generator: {@link LoadPlan#threads()} event loops share the connections round-robin. It runs on
 * platform threads of its own; {@link #start} returns at once so the caller can sample the server while it runs.
 */
final class LoadGenerator {
    private final LoadPlan plan;
    private final List<LoadGeneratorLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private LoadGenerator(LoadPlan plan) {
        this.plan = plan;
    }

    /** Opens the connections and starts the loops; they stop by themselves at the end of the plan's window. */
    static LoadGenerator start(LoadPlan plan) {
        LoadGenerator g = new LoadGenerator(plan);
        int n = Math.min(plan.threads(), plan.connections());
        for (int i = 0; i < n; i++) {
            // Spread the remainder so no loop has more than one connection above another.
            int share = plan.connections() / n + (i < plan.connections() % n ? 1 : 0);
            LoadGeneratorLoop loop = new LoadGeneratorLoop(plan, share);
            g.loops.add(loop);
            g.threads.add(Thread.ofPlatform().name("bench-load-" + i).daemon().start(loop));
        }
        return g;
    }

    /** Runs a plan to its end; for callers that have nothing to do meanwhile. */
    static LoadResult run(LoadPlan plan) throws IOException, InterruptedException {
        return start(plan).await(Duration.ofSeconds(30));
    }

    /** Stops the loops now, counting nothing more: for a run abandoned half-way. */
    void cancel() {
        plan.window().cancel(System.nanoTime());
    }

    /**
     * Waits for the loops (bounded: they stop at the end of the window, plus {@code grace}) and merges what they
     * counted.
     */
    LoadResult await(Duration grace) throws IOException, InterruptedException {
        long deadline = plan.window().end() + grace.toNanos();
        for (Thread t : threads) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            if (!t.join(Duration.ofMillis(left))) {
                throw new IOException("load thread " + t.getName() + " did not stop within " + grace
                        + " of the end of the run");
            }
        }
        Histogram all = new Histogram(1_000, LoadGeneratorLoop.HIGHEST_TRACKABLE_NANOS, 3);
        long requests = 0;
        LoadResult.ErrorCounts errors = new LoadResult.ErrorCounts(0, 0, 0, 0);
        for (LoadGeneratorLoop loop : loops) {
            if (loop.failure() != null) throw new IOException("load generator failed", loop.failure());
            all.add(loop.histogram());
            requests += loop.requests();
            errors = errors.plus(loop.errors());
        }
        double warmup = (plan.window().measureFrom() - plan.startNanos()) / 1e9;
        return new LoadResult(requests, plan.window().seconds(), warmup, LoadResult.Latency.of(all), errors);
    }
}

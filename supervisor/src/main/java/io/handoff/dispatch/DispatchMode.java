package io.handoff.dispatch;

import java.time.Duration;

import io.handoff.process.WorkerProcess;
import io.handoff.protocol.Message.Refused;

/**
 * How the fork model's connections reach its workers, chosen by {@code --dispatch}: the supervisor accepts and hands
 * each connection to a worker it picks ({@link HandoffLoop}), or every worker accepts on the listening sockets
 * themselves ({@link SharedListeners}). Node.js's cluster has the same two, {@code round_robin_handle.js} and
 * {@code shared_handle.js}, behind the same add / remove shape. The fork model calls these on the supervisor loop,
 * except {@link #reroute}, which comes from a worker's link reader.
 */
public interface DispatchMode {
    /** Enough workers are ready: start serving connections. */
    void start();

    /** {@code worker} reported ready: from now on it may serve connections. */
    void add(WorkerProcess worker);

    /**
     * {@code worker} is hung and about to be killed: it must take no further connections. (Workers told to drain
     * stop taking connections by themselves.)
     */
    void remove(WorkerProcess worker);

    /** Connections a worker gave back because it is stopping; they go to another worker. Takes ownership. */
    void reroute(Refused refused);

    /**
     * Stops taking connections: from here clients are refused, not queued. Connections already accepted still reach
     * a worker within {@code flush}; the workers themselves are stopped after this.
     */
    void stop(Duration flush);

    /** Figures for {@code ctl status}, next to the model's own; none by default. */
    default java.util.Map<String, Object> counters() { return java.util.Map.of(); }
}

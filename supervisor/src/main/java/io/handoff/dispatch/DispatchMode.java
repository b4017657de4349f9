package io.handoff.dispatch;

import java.time.Duration;

import io.handoff.protocol.Message.Refused;

/**
 * How the fork model's connections reach its workers, chosen by {@code --dispatch}: the supervisor accepts and hands
 * each connection to a worker it picks ({@link HandoffLoop}), or every worker accepts on the listening sockets
 * themselves ({@link SharedListeners}). Node.js's cluster has the same two, {@code round_robin_handle.js} and
 * {@code shared_handle.js}. The fork model calls these on the supervisor loop, except {@link #reroute}, which comes
 * from a worker's link reader.
 *
 * <p>Which workers are ready is the pool's to know: the handoff loop reads its ready list on every round, so nothing
 * here is told of a worker coming or going. Only shared listeners act on that ({@link SharedListeners#share},
 * {@link SharedListeners#withdraw}).
 */
public interface DispatchMode {
    /** Enough workers are ready: start serving connections. */
    void start();

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

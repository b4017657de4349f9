package io.handoff.dispatch;

import java.util.List;

/**
 * A ready worker as the handoff loop sees it: the numbers admission reads, and sending it a batch. The running
 * server adapts its pool's workers ({@link LinkedWorker}); tests use fakes, so admission and batching need no
 * processes or sockets.
 */
interface HandoffTarget {
    /** Connections it holds or has on the way (see {@link io.handoff.process.WorkerProcess#load}). */
    int load();

    /** Connections sent to it and not yet acknowledged. */
    int inFlight();

    /**
     * Not taking what it is sent: nothing acknowledged for {@code ackMillis}, or no heartbeat for
     * {@code heartbeatMillis}.
     */
    boolean isStalled(long ackMillis, long heartbeatMillis);

    /** Found stalled by {@link #isStalled} and not yet seen to catch up. */
    boolean wasStalled();

    /**
     * Sends {@code batch} (at most 253) in one message without blocking. On success the worker owns the connections
     * and the supervisor's copies are closed; on failure nothing changed and the caller still owns them.
     */
    boolean send(List<Pending> batch);
}

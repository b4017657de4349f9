package io.handoff.dispatch;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.Episode;

/**
 * How many connections the handoff loop may accept now: only what a ready worker has room for (below
 * {@code --worker-connections}) and what keeps the total, open plus pending, below {@code --max-connections} and
 * the pending limit. Otherwise the loop stops accepting until a slot frees, and the kernel's listen backlog holds the
 * rest; that episode is logged once, when it begins and when it ends. A stalled worker counts as full. Owned by the
 * handoff loop's thread.
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);
    /** A worker that has not acknowledged a handoff for this long gets nothing more until it does. */
    static final long STALL_ACK_MILLIS = 500;
    /** Heartbeats come every second; a worker that missed more than two gets nothing more until one arrives. */
    static final long STALL_HEARTBEAT_MILLIS = 2500;

    private final HandoffLoop.Limits limits;
    private final Episode atCapacity = new Episode(log);
    /** Ready workers that are not stalled, as of the last {@link #room}. */
    private int responsiveWorkers;

    Admission(HandoffLoop.Limits limits) { this.limits = limits; }

    HandoffLoop.Limits limits() { return limits; }

    /** Connections in all workers (open or on their way) plus the {@code pending} ones waiting for a worker. */
    static long open(List<? extends HandoffTarget> all, int pending) {
        long open = pending;
        for (HandoffTarget w : all) open += w.load();
        return open;
    }

    /**
     * How many more connections may be accepted now: what the ready workers have room for (less what is already
     * pending for them), within max-connections and the pending limit.
     *
     * @param all every worker, draining ones included: their connections count against max-connections
     */
    int room(HandoffTarget[] ready, List<? extends HandoffTarget> all, int pending) {
        long free = 0;
        responsiveWorkers = 0;
        for (HandoffTarget w : ready) {
            if (!w.isStalled(STALL_ACK_MILLIS, STALL_HEARTBEAT_MILLIS)) {
                responsiveWorkers++;
                free += Math.max(0, limits.workerConnections() - w.load());
            }
        }
        // Pending connections count against the workers' free slots, the global maximum (open() has them) and the
        // pending limit alike.
        long room = Math.min(Math.min(free - pending, limits.maxConnections() - open(all, pending)),
                limits.maxPending() - pending);
        return (int) Math.max(0, room);
    }

    /** {@link #room}, logging the start and end of an episode at capacity. */
    int review(HandoffTarget[] ready, List<? extends HandoffTarget> all, int pending) {
        int room = room(ready, all, pending);
        // Full, as opposed to waiting for a worker to boot or catch up, or for the pending ones to go out.
        boolean full = room == 0 && responsiveWorkers > 0 && pending < limits.maxPending();
        if (full) {
            atCapacity.seen("at capacity open={} max={} worker_connections={} ready_workers={}; new connections "
                    + "wait in the listen backlog", open(all, pending), limits.maxConnections(),
                    limits.workerConnections(), responsiveWorkers);
        } else if (room > 0) {
            atCapacity.clear("accepting again open={} max={}", open(all, pending), limits.maxConnections());
        }
        return room;
    }

    /** An at-capacity episode is open: it is logged as over only after a quiet spell, even if no client comes. */
    boolean atCapacity() { return atCapacity.isOn(); }

    /** Each ready worker's load as the picker reads it. A stalled worker counts as full: it is never picked. */
    int[] loads(HandoffTarget[] ready) {
        int[] load = new int[ready.length];
        for (int i = 0; i < ready.length; i++) {
            boolean stalled = ready[i].isStalled(STALL_ACK_MILLIS, STALL_HEARTBEAT_MILLIS);
            load[i] = stalled ? Math.max(ready[i].load(), limits.workerConnections()) : ready[i].load();
        }
        return load;
    }

    /**
     * Handoffs await acknowledgement, or a worker has not yet been seen to catch up: the loop should look again soon,
     * so a worker that stalls is noticed (and one that catches up is told apart) without waiting for the next client.
     */
    static boolean watching(HandoffTarget[] ready) {
        for (HandoffTarget w : ready) {
            if (w.inFlight() > 0 || w.wasStalled()) return true;
        }
        return false;
    }
}

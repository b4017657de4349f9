package io.handoff.dispatch;

import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import io.handoff.unix.UnixLink;

/**
 * Sends pending connections to the ready workers: each to the worker the {@link WorkerPicker} chooses, then one batch
 * per worker (one sendmsg carries up to 253 fds). Sends never block: a worker whose link is full is skipped, and
 * what could not be sent goes back to the front of the queue, in order, for the next round. Owned by the handoff
 * loop's thread.
 */
final class Handover {
    private final WorkerPicker picker;
    private final int workerConnections;

    /** @param workerConnections connections one worker holds or has on the way, at most */
    Handover(WorkerPicker picker, int workerConnections) {
        this.picker = picker;
        this.workerConnections = workerConnections;
    }

    /**
     * Assigns each pending connection to the worker the picker picks (given each one's load: open + in flight,
     * counting what this round already assigned), then sends one batch per worker.
     *
     * @param load per worker, as {@link Admission#loads} gives it; updated with what this round assigned
     */
    void send(Deque<Pending> pending, HandoffTarget[] workers, int[] load) {
        int n = workers.length;
        if (n == 0) return;
        @SuppressWarnings("unchecked")
        List<Pending>[] batches = new List[n];
        int take = Math.min(pending.size(), n * UnixLink.MAX_FDS);
        for (int k = 0; k < take; k++) {
            int best = picker.pick(load, workerConnections);
            if (best < 0) break; // every worker is full: the rest wait here for a slot
            load[best]++;
            if (batches[best] == null) batches[best] = new ArrayList<>();
            batches[best].add(pending.poll());
        }
        for (int i = 0; i < n; i++) {
            List<Pending> batch = batches[i];
            if (batch == null) continue;
            // One message carries at most 253 fds; a worker may have been given more than that this round.
            for (int from = 0; from < batch.size(); from += UnixLink.MAX_FDS) {
                List<Pending> chunk = batch.subList(from, Math.min(batch.size(), from + UnixLink.MAX_FDS));
                if (!workers[i].send(chunk)) {
                    // This chunk and the rest back to the front, in order: the next round tries another worker.
                    for (int j = batch.size() - 1; j >= from; j--) pending.addFirst(batch.get(j));
                    break;
                }
            }
        }
    }
}

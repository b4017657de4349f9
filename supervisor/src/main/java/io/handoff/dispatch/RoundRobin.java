package io.handoff.dispatch;

/**
 * {@code --dispatch round-robin}: blind rotation over the ready workers, whatever each holds; what the Node.js
 * cluster primary does by default ({@code round_robin_handle.js}). Kept to measure what load-awareness buys: a
 * worker that has become slow still gets every n-th connection, and its queue grows.
 */
public final class RoundRobin implements WorkerPicker {
    private long rotation;

    /** The next worker in turn that has room: a full worker is skipped, not waited for. */
    @Override
    public int pick(int[] load, int capacity) {
        int n = load.length;
        for (int j = 0; j < n; j++) {
            int i = (int) (rotation++ % n);
            if (load[i] < capacity) return i;
        }
        return -1;
    }
}

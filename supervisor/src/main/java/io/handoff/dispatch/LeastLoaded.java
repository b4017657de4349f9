package io.handoff.dispatch;

/**
 * {@code --dispatch least-loaded} (the default): the worker holding the fewest connections. A worker that is slow, or
 * holds long connections, shows it in its load and gets fewer new ones. Ties go round-robin (the scan starts one
 * further each time), so workers with equal loads share the work.
 */
public final class LeastLoaded implements WorkerPicker {
    private long rotation;

    @Override
    public int pick(int[] load, int capacity) {
        int n = load.length;
        int start = (int) (rotation++ % n);
        int best = start;
        for (int j = 1; j < n; j++) {
            int i = (start + j) % n;
            if (load[i] < load[best]) best = i;
        }
        return load[best] < capacity ? best : -1;
    }
}

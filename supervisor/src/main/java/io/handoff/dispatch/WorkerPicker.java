package io.handoff.dispatch;

/**
 * Which ready worker gets the next connection the supervisor accepted. One class per policy, chosen by
 * {@code --dispatch}; the {@link HandoffLoop} asks once per connection and does everything else (batching, sending,
 * re-routing what a worker refuses) the same way for all of them.
 */
public interface WorkerPicker {
    /**
     * Returns the index of the worker for the next connection, or -1 when every worker is at {@code capacity}.
     *
     * @param load     per ready worker, in a stable order: the connections it holds or has on the way, counting the
     *                 ones this round already assigned to it (the caller updates it after each pick)
     * @param capacity connections one worker may hold: a worker whose load reached it is never picked
     */
    int pick(int[] load, int capacity);
}

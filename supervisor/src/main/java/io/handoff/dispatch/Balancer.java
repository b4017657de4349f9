package io.handoff.dispatch;

/**
 * Which ready worker gets the next connection the supervisor accepted. One class per policy, chosen by
 * {@code --dispatch}; the {@link Dispatcher} asks once per connection and does everything else (batching, sending,
 * re-routing what a worker refuses) the same way for all of them.
 */
public interface Balancer {
    /**
     * Returns the index of the worker for the next connection.
     *
     * @param load per ready worker, in a stable order: the connections it holds or has on the way, counting the ones
     *             this round already assigned to it (the caller updates it after each pick)
     */
    int pick(int[] load);
}

package io.handoff.dispatch;

/**
 * {@code --dispatch round-robin}: blind rotation over the ready workers, whatever each holds; what the Node.js
 * cluster primary does by default ({@code round_robin_handle.js}). Kept to measure what load-awareness buys: a
 * worker that has become slow still gets every n-th connection, and its queue grows.
 */
public final class RoundRobin implements Balancer {
    private long rotation;

    @Override
    public int pick(int[] load) { return (int) (rotation++ % load.length); }
}

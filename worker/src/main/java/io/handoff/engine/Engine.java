package io.handoff.engine;

import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Where handler code runs. The fork model runs one engine per worker process; the in-process models run one in
 * the supervisor. Engines are fed connected, blocking channels and own them from then on.
 */
public interface Engine {

    /**
     * Blocks until the engine can take one more connection (a bounded engine waits for a free slot; the caller,
     * which has not accepted yet, leaves further clients in the kernel's listen backlog). Must be paired with
     * exactly one {@link #serve} or {@link #releaseSlot}. An unbounded engine returns at once.
     */
    default void awaitSlot() throws InterruptedException {}

    /** Gives back a slot taken by {@link #awaitSlot} that was not used (accept failed). */
    default void releaseSlot() {}

    /** Serves the connection with the handler; the engine closes it. */
    void serve(SocketChannel channel);

    /** Serves connections accepted from now on with {@code handler} (a reload); open ones keep theirs. */
    void handler(io.handoff.handler.Handler handler);

    /**
     * From now on handlers see {@link io.handoff.handler.Connection#isDraining()} (keep-alive answers say Connection:
     * close), while the engine still takes the connections its listeners had already queued.
     */
    void startDraining();

    /** Connections being served right now. */
    int open();

    /** Connections finished since start. */
    long served();

    /**
     * Calls {@code listener} after every connection that finishes, on the thread that served it (it must be quick
     * and never block). Returns false when this engine cannot, and whoever wants to know must poll {@link #open}.
     */
    default boolean whenFinished(Runnable listener) { return false; }

    /**
     * Stops taking connections and waits up to {@code grace} for the open ones to finish; then interrupts what is
     * left. Returns true when everything finished within the grace period.
     */
    boolean shutdown(Duration grace) throws InterruptedException;

    /** The engine's name as the {@code --model} flag spells it. */
    String name();
}

package io.handoff.engine;

import java.time.Duration;

import org.slf4j.Logger;

/**
 * A condition that comes and goes (at capacity, accept failing) logged once when it begins and once when it is over,
 * never once per connection: under overload a line per client would itself become the overload. It is over only
 * after {@link #QUIET} without a sighting, so a server that hovers at its limit (a slot frees, is taken, the next
 * client waits) logs one episode, not one per freed slot.
 */
public final class Episode {
    public static final Duration QUIET = Duration.ofSeconds(1);

    private final Logger log;
    private boolean on;
    private long sinceNanos;
    private long lastSeenNanos;

    public Episode(Logger log) { this.log = log; }

    /** The condition holds now: logs {@code message} as a warning if this begins an episode. */
    public synchronized void seen(String message, Object... args) {
        lastSeenNanos = System.nanoTime();
        if (on) return;
        on = true;
        sinceNanos = lastSeenNanos;
        log.warn(message, args);
    }

    /**
     * The condition does not hold now: if it has not been seen for {@link #QUIET}, logs {@code message} with how long
     * the episode lasted ({@code lasted_ms=}) and ends it.
     */
    public synchronized void clear(String message, Object... args) {
        if (!on || System.nanoTime() - lastSeenNanos < QUIET.toNanos()) return;
        on = false;
        Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = (lastSeenNanos - sinceNanos) / 1_000_000;
        log.info(message + " lasted_ms={}", all);
    }

    public synchronized boolean isOn() { return on; }
}

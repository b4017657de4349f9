package io.handoff.handler;

import java.time.Duration;

/**
 * How long a connection may keep the server waiting for input ({@code --idle-timeout}, {@code --read-timeout}).
 * A zero duration turns that timeout off.
 *
 * @param idle how long a read may wait for the first byte to arrive: between requests, or a client gone quiet
 * @param read how long a request may take to arrive whole, from its first byte (see
 *             {@link Connection#beginRequest()}); applies only to protocols that say where requests begin and end
 */
public record Timeouts(Duration idle, Duration read) {
    public static final Timeouts NONE = new Timeouts(Duration.ZERO, Duration.ZERO);
    public static final long DEFAULT_IDLE_SECONDS = 60;
    public static final long DEFAULT_READ_SECONDS = 30;

    public Timeouts {
        if (idle.isNegative() || read.isNegative()) throw new IllegalArgumentException("negative timeout");
    }

    public static Timeouts ofSeconds(long idle, long read) {
        return new Timeouts(Duration.ofSeconds(idle), Duration.ofSeconds(read));
    }

    public boolean enabled() { return !idle.isZero() || !read.isZero(); }
}

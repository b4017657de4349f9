package io.handoff.bench;

import java.time.Duration;

/**
 * When a load run counts and when it ends, as {@link System#nanoTime()} values. Either fixed up front, or opened later
 * by whoever runs the load ({@link #open}), so the warm-up can go on until the client itself has settled. The event
 * loops read it on every answer; it is written at most once after they start, hence volatile fields and no lock.
 */
final class LoadWindow {
    /** "Not yet": far enough ahead never to be reached, near enough never to overflow nanoTime arithmetic. */
    private static final long PENDING_NANOS = Duration.ofDays(365).toNanos();

    private volatile long measureFrom;
    private volatile long end;
    private final long durationNanos;

    private LoadWindow(long measureFrom, long end, long durationNanos) {
        this.measureFrom = measureFrom;
        this.end = end;
        this.durationNanos = durationNanos;
    }

    /** A window that opens at {@code measureFrom} and lasts {@code duration}. */
    static LoadWindow fixed(long measureFrom, Duration duration) {
        return new LoadWindow(measureFrom, measureFrom + duration.toNanos(), duration.toNanos());
    }

    /** A window of {@code duration} that opens when {@link #open} is called; until then everything is warm-up. */
    static LoadWindow pending(long startNanos, Duration duration) {
        long from = startNanos + PENDING_NANOS;
        return new LoadWindow(from, from + duration.toNanos(), duration.toNanos());
    }

    /** Opens the window: answers completed from {@code measureFrom} on count, until the duration is over. */
    void open(long measureFrom) {
        // The end is written first: a loop that reads the new start (it reads the start first) then sees the new end.
        end = measureFrom + durationNanos;
        this.measureFrom = measureFrom;
    }

    /** Ends the run now without counting anything more: for a run abandoned half-way. */
    void cancel(long now) {
        end = now;
        measureFrom = now;
    }

    long measureFrom() { return measureFrom; }

    long end() { return end; }

    double seconds() { return durationNanos / 1e9; }

    boolean contains(long now) {
        long from = measureFrom;
        return now - from >= 0 && now - end < 0;
    }
}

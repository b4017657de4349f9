package io.handoff.supervisor;

import java.time.Duration;

/** How accepted connections are served: worker processes, or an engine inside the supervisor. */
interface ServingModel {
    /** Starts serving on the already-bound listeners; {@link #isReady()} says when connections are served. */
    void start() throws StartupException;

    /** Every worker reported ready (for in-process models: as soon as started). */
    boolean isReady();

    /** Handles an event from the loop (worker lifecycle); in-process models ignore them. */
    default void onEvent(Event event) throws StartupException {}

    /** Stops accepting, lets in-flight connections finish within {@code grace}. True when nothing was cut off. */
    boolean stop(Duration grace);

    /** Startup could not complete; the message says why, the status is the process exit code. */
    final class StartupException extends Exception {
        private final int status;

        StartupException(String message, int status) {
            super(message);
            this.status = status;
        }

        int status() { return status; }
    }
}

package io.handoff.supervisor;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.handoff.control.CommandRegistry.CommandException;

/** How accepted connections are served: worker processes, or an engine inside the supervisor. */
interface ServingModel {
    /** Starts serving on the already-bound listeners; {@link #isReady()} says when connections are served. */
    void start() throws StartupException;

    /** Every worker reported ready (for in-process models: as soon as started). */
    boolean isReady();

    /** Worker lifecycle events; in-process models have none. */
    default void onEvent(Event.WorkerEvent event) throws StartupException {}

    /** Runs a few times a second on the loop: health checks, recycling, keeping the worker count. */
    default void tick() throws StartupException {}

    /** Replaces the workers (or reloads the handler) without dropping a connection. */
    void reload() throws CommandException;

    /**
     * True while a reload started by {@link #reload()} has not finished. A model whose reload is done when
     * {@code reload()} returns (the in-process ones) answers false.
     */
    default boolean isReloading() { return false; }

    /** Sets the number of workers. */
    default void scale(int workers) throws CommandException {
        throw new CommandException("only --model fork has workers to scale");
    }

    default int targetWorkers() { return 0; }

    /** Per worker: pid, generation, state, age, served, open, RSS. Empty for in-process models. */
    default List<Map<String, Object>> workerStatus() { return List.of(); }

    /** Connections being served right now, and served so far, over the whole model. */
    Map<String, Object> counters();

    /** Reopens log files in every process of the model (the supervisor reopens its own). */
    default void reopenLogs() {}

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

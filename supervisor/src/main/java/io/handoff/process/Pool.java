package io.handoff.process;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import io.handoff.protocol.Message;

/**
 * What the fork model's lifecycle asks of worker processes. The supervisor loop decides; a pool only acts and reports
 * back through {@link PoolEvents}. {@link WorkerPool} runs real JVMs; the lifecycle's unit tests use a fake.
 */
public interface Pool extends AutoCloseable {
    /** Gets ready to spawn (the real pool creates its private rendezvous socket). */
    void start() throws IOException;

    /** Starts a worker; it reports ready (or exits) through {@link PoolEvents} later. */
    WorkerProcess spawn(int id, int generation, long maxServed, long nowNanos) throws IOException;

    /** Asks a worker to stop taking connections and finish its open ones within {@code grace}. */
    void sendStop(WorkerProcess w, Duration grace);

    /** SIGKILL; a no-op for a worker already gone. */
    void kill(WorkerProcess w);

    /** Asks the worker JVM for a thread dump (SIGQUIT prints one to the log). */
    void threadDump(WorkerProcess w);

    /** Resident memory in kB, or -1 when it cannot be read. */
    long rssKb(WorkerProcess w);

    /** Sends a message to every worker with a link; a failure is logged, not thrown. */
    void broadcast(Message m);

    /**
     * Waits until every one of {@code workers} has exited or {@code timeout} passed, without acting on their state;
     * returns the ones still running. Only for the stop, after which the loop no longer runs.
     */
    List<WorkerProcess> awaitExit(List<WorkerProcess> workers, Duration timeout);

    /** Kills whatever is left and removes the rendezvous. */
    @Override
    void close();
}

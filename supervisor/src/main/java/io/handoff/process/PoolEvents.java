package io.handoff.process;

import io.handoff.protocol.Message.Refused;

/**
 * What the pool reports, from its link readers and process watchers. The receiver only enqueues for the supervisor
 * loop, which alone changes a worker's state; {@link #refused} is the exception, as it carries connections, not state.
 */
public interface PoolEvents {
    /** The worker connected back and said it is ready. */
    void workerReady(WorkerProcess worker);

    /** The process exited with {@code exitValue} (128 + N for death by signal N). */
    void workerExited(WorkerProcess worker, int exitValue);

    /** Its link ended or failed: it can take nothing more, and exits by itself once it sees the end. */
    void linkClosed(WorkerProcess worker);

    /** It finished draining ({@code graceful}: every connection ended by itself) after serving {@code served}. */
    void drained(WorkerProcess worker, boolean graceful, long served);

    /** The worker sent connections back; they must go to another worker. Takes ownership of the fds. */
    void refused(WorkerProcess worker, Refused refused);
}

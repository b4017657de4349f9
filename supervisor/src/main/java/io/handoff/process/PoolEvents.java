package io.handoff.process;

import io.handoff.protocol.Message.Refused;

/** What the pool reports, from its reader and reaper threads; the receiver only enqueues. */
public interface PoolEvents {
    void workerReady(WorkerProcess worker);

    void workerExited(WorkerProcess worker, int exitValue);

    /** The worker sent connections back; they must go to another worker. */
    void refused(WorkerProcess worker, Refused refused);
}

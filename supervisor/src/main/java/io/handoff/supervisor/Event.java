package io.handoff.supervisor;

import io.handoff.process.WorkerProcess;

/** What the supervisor's loop reacts to. Signal handlers and watcher threads only enqueue these. */
sealed interface Event {
    record Signal(String name) implements Event {}

    record WorkerReady(WorkerProcess worker) implements Event {}

    record WorkerExited(WorkerProcess worker, int exitValue) implements Event {}

    /** A slot's backoff after a quick death is over. */
    record Respawn(int slot) implements Event {}
}

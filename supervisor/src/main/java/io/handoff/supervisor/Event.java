package io.handoff.supervisor;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.handoff.process.WorkerProcess;

/** What the supervisor's loop reacts to. Signal handlers, watcher threads and the control socket only enqueue. */
sealed interface Event {
    record Signal(String name) implements Event {}

    /** Something the supervisor cannot serve without broke: stop with a failure status. */
    record Fatal(String message) implements Event {}

    /** A control command; the loop runs it and completes {@code answer}. */
    record Command(List<String> words, CompletableFuture<Map<String, Object>> answer) implements Event {}

    /** What a worker process did, as its link reader or exit watcher saw it; only the fork model has these. */
    sealed interface WorkerEvent extends Event {
        WorkerProcess worker();
    }

    record WorkerReady(WorkerProcess worker) implements WorkerEvent {}

    record WorkerExited(WorkerProcess worker, int exitValue) implements WorkerEvent {}

    record WorkerLinkClosed(WorkerProcess worker) implements WorkerEvent {}

    record WorkerDrained(WorkerProcess worker, boolean graceful, long served) implements WorkerEvent {}
}

package io.handoff.supervisor;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.handoff.process.WorkerProcess;

/** What the supervisor's loop reacts to. Signal handlers, watcher threads and the control socket only enqueue. */
sealed interface Event {
    record Signal(String name) implements Event {}

    record WorkerReady(WorkerProcess worker) implements Event {}

    record WorkerExited(WorkerProcess worker, int exitValue) implements Event {}

    /** Something the supervisor cannot serve without broke: stop with a failure status. */
    record Fatal(String message) implements Event {}

    /** A control command; the loop runs it and completes {@code answer}. */
    record Command(List<String> words, CompletableFuture<Map<String, Object>> answer) implements Event {}
}

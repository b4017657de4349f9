package io.handoff.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.handoff.listen.BindAddress;

/** Everything {@code handoff serve} was told, validated. Paths may be null where the flag was not given. */
public record ServeConfig(
        Model model,
        int workers,
        int threads,
        int eventLoops,
        List<BindAddress> binds,
        String handler,
        Path handlerClasspath,
        Path root,
        int backlog,
        Duration gracefulTimeout,
        Duration bootTimeout,
        Duration timeout,
        long maxRequests,
        long maxRequestsJitter,
        long maxWorkerMemoryMb,
        Path control,
        Path pidfile,
        Path logFile) {

    public enum Model { fork, threads, virtual, events }

    /** The words after "model=X" in the listening line. */
    public String describeModel() {
        return switch (model) {
            case fork -> "model=fork workers=" + workers;
            case threads -> "model=threads threads=" + threads;
            case virtual -> "model=virtual";
            case events -> "model=events loops=" + eventLoops;
        } + " handler=" + handler;
    }
}

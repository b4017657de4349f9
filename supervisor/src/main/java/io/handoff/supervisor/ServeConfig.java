package io.handoff.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.handoff.handler.HttpLimits;
import io.handoff.handler.Timeouts;
import io.handoff.listen.BindAddress;

/** Everything {@code handoff serve} was told, validated. Paths may be null where the flag was not given. */
public record ServeConfig(
        Model model,
        int workers,
        Dispatch dispatch,
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
        Duration idleTimeout,
        Duration readTimeout,
        int maxHeaderBytes,
        long maxBodyBytes,
        Path control,
        Path pidfile,
        Path logFile,
        // Capacity: connections the whole server holds at once, and each fork-model worker.
        int maxConnections,
        int workerConnections) {

    public enum Model { fork, threads, virtual, events }

    /** How the fork model's connections reach its workers ({@code --dispatch}). */
    public enum Dispatch {
        /** The supervisor accepts and hands each connection to the least loaded worker. */
        LEAST_LOADED,
        /** Every worker accepts on the listening sockets itself. */
        SHARED,
        /** The supervisor accepts and hands connections to the workers in turn, blind to their load. */
        ROUND_ROBIN;

        /** As the flag spells it: least-loaded, shared, round-robin. */
        public String flag() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }

        /** Also takes {@code handoff}, what least-loaded was called first, so existing command lines keep working. */
        public static Dispatch parse(String flag) {
            if (flag.equals("handoff")) return LEAST_LOADED;
            for (Dispatch d : values()) if (d.flag().equals(flag)) return d;
            throw new IllegalArgumentException("'" + flag + "' is not one of least-loaded, shared, round-robin");
        }
    }

    /** {@code --idle-timeout} and {@code --read-timeout}, as the engines take them. */
    public Timeouts timeouts() { return new Timeouts(idleTimeout, readTimeout); }

    /** {@code --max-header-bytes} and {@code --max-body-bytes}, as the http handler takes them. */
    public HttpLimits httpLimits() { return new HttpLimits(maxHeaderBytes, maxBodyBytes); }

    /** The words after "model=X" in the listening line. */
    public String describeModel() {
        return switch (model) {
            case fork -> "model=fork workers=" + workers + " dispatch=" + dispatch.flag();
            case threads -> "model=threads threads=" + threads;
            case virtual -> "model=virtual";
            case events -> "model=events loops=" + eventLoops;
        } + " handler=" + handler;
    }
}

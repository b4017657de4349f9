package io.handoff.process;

import java.nio.file.Path;

import io.handoff.handler.HttpLimits;
import io.handoff.handler.Timeouts;

/**
 * What every worker of a pool is started with: its handler, where that comes from, and its limits.
 *
 * @param maxConnections connections one worker holds at once ({@code --worker-connections})
 * @param maxDatagramBytes the largest datagram served, when the workers get datagram sockets; 0 when they do not
 */
public record WorkerSpec(String handler, Path handlerClasspath, Path root, Path logFile, int maxConnections,
        Timeouts timeouts, HttpLimits httpLimits, int maxDatagramBytes) {
    /** A pool that serves no datagram sockets. */
    public WorkerSpec(String handler, Path handlerClasspath, Path root, Path logFile, int maxConnections,
            Timeouts timeouts, HttpLimits httpLimits) {
        this(handler, handlerClasspath, root, logFile, maxConnections, timeouts, httpLimits, 0);
    }
}

package io.handoff.supervisor;

import java.util.ArrayList;
import java.util.List;

import io.handoff.supervisor.ServeConfig.Dispatch;
import io.handoff.supervisor.ServeConfig.Model;

/**
 * Fits the connection limits to the open-file limit. A connection costs one fd in the process that serves it (and,
 * in the fork model, one in the supervisor for the moment between accept and handoff); a JVM also holds its jars,
 * selectors, log file, listeners and worker links. A limit given on the command line is kept, with a warning when
 * the fd limit cannot hold it (the server then backs off on EMFILE rather than fail); a default is lowered to fit,
 * with a note.
 */
public final class FdBudget {
    /** fds a JVM holds besides connections: jars and modules, epoll and wakeup fds, log file, control and links. */
    public static final int RESERVE = 64;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

    private FdBudget() {}

    /**
     * @param maxConnections    connections the whole server holds at once
     * @param workerConnections connections one fork-model worker holds at once (equal to maxConnections otherwise)
     * @param warnings          lines to log as warnings: a configured limit the fd limit cannot hold
     * @param notes             lines to log as information: a default that was lowered to fit
     */
    public record Plan(int maxConnections, int workerConnections, List<String> warnings, List<String> notes) {}

    /**
     * @param maxFlag     {@code --max-connections}, or null for the default
     * @param workerFlag  {@code --worker-connections}, or null for max-connections spread over the workers
     * @param listeners   listening sockets (each process that accepts holds them)
     * @param fdLimit     RLIMIT_NOFILE in force (already raised), {@link Long#MAX_VALUE} for unlimited
     */
    public static Plan plan(Model model, Dispatch dispatch, int workers, int listeners, Integer maxFlag,
            Integer workerFlag, long fdLimit) {
        List<String> warnings = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int max = maxFlag != null ? maxFlag : DEFAULT_MAX_CONNECTIONS;
        if (model != Model.fork) {
            int overhead = RESERVE + listeners;
            if ((long) max + overhead > fdLimit) {
                if (maxFlag == null) {
                    max = fit(fdLimit, overhead, "--max-connections", warnings, notes);
                } else {
                    warnings.add("fd limit " + fdLimit + " is below what --max-connections " + max + " needs (~"
                            + (max + overhead) + "); raise ulimit -n or lower --max-connections");
                }
            }
            return new Plan(max, max, warnings, notes);
        }
        int perWorker = workerFlag != null ? workerFlag : (int) ((max + (long) workers - 1) / workers);
        // A worker holds its connections; with --dispatch shared also the listening sockets it accepts on.
        int overhead = RESERVE + (dispatch == Dispatch.SHARED ? listeners : 0);
        if ((long) perWorker + overhead > fdLimit) {
            if (workerFlag == null && maxFlag == null) {
                perWorker = fit(fdLimit, overhead, "--worker-connections", warnings, notes);
            } else if (workerFlag != null) {
                warnings.add("fd limit " + fdLimit + " is below what --worker-connections " + perWorker
                        + " needs in each worker (~" + (perWorker + overhead)
                        + "); raise ulimit -n or lower --worker-connections");
            } else {
                warnings.add("fd limit " + fdLimit + " is below what --max-connections " + max + " over " + workers
                        + " workers needs in each (~" + (perWorker + overhead)
                        + "); raise ulimit -n, lower --max-connections or add --workers");
            }
        }
        return new Plan(max, perWorker, warnings, notes);
    }

    private static int fit(long fdLimit, int overhead, String flag, List<String> warnings, List<String> notes) {
        long room = fdLimit - overhead;
        if (room < 1) {
            warnings.add("fd limit " + fdLimit + " leaves no room for connections (a JVM alone needs ~" + overhead
                    + "); raise ulimit -n");
            return 1;
        }
        notes.add(flag + " defaults to " + room + " to fit the fd limit " + fdLimit + " (raise ulimit -n for more)");
        return (int) Math.min(room, Integer.MAX_VALUE);
    }
}

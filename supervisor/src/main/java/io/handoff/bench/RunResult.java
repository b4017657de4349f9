package io.handoff.bench;

import java.util.List;

/**
 * What one run measured. Server figures are null when they could not be measured (a target whose processes were not
 * found); everything but {@code spec} and {@code failure} is null when the run failed.
 *
 * @param address              where the load went
 * @param serverCpuMicrosPerRequest utime + stime of the server's process tree in the window, per request
 * @param serverCpuSeconds     the same, in total
 * @param clientCpuMicrosPerRequest the bench process's own CPU in the window per request: the load generator's cost
 * @param peakRssMb            the highest sum of VmRSS over the server's process tree, sampled every 200 ms
 * @param hwmMb                the sum of VmHWM (each process's own peak) over the tree at the end of the window
 * @param serverPids           the processes measured (for a model: the server and its workers, all started by bench)
 * @param serverExitStatus     the server's exit status after SIGTERM; null for a target or when it had to be killed
 */
record RunResult(RunSpec spec, String address, LoadResult load, Double serverCpuMicrosPerRequest,
        Double serverCpuSeconds, Double clientCpuMicrosPerRequest, Double peakRssMb, Double hwmMb,
        List<Long> serverPids, Integer serverExitStatus, String failure) {
    RunResult {
        serverPids = serverPids == null ? List.of() : List.copyOf(serverPids);
    }

    static RunResult failed(RunSpec spec, String address, List<Long> pids, String failure) {
        return new RunResult(spec, address, null, null, null, null, null, null, pids, null, failure);
    }

    boolean ok() {
        return failure == null;
    }

    RunResult withServerExit(Integer status, List<Long> pids) {
        return new RunResult(spec, address, load, serverCpuMicrosPerRequest, serverCpuSeconds,
                clientCpuMicrosPerRequest, peakRssMb, hwmMb, pids, status, failure);
    }
}

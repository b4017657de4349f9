package io.handoff.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** results.json: every figure of every run, the exact command line, the configuration and the machine. */
final class ResultsJson {
    private ResultsJson() {}

    /**
     * @param command     the bench command line as typed (after the program name)
     * @param startedPids every process bench started (servers and their workers), so anyone can check none is left
     */
    static Map<String, Object> of(List<String> command, String jvmCommand, String startedAt, BenchConfig config,
            MachineInfo machine, List<RunResult> runs, List<Long> startedPids, boolean complete) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "handoff bench");
        m.put("command", "handoff " + String.join(" ", command.stream().map(ResultsJson::shellQuote).toList()));
        m.put("args", command);
        m.put("jvmCommandLine", jvmCommand);
        m.put("startedAt", startedAt);
        m.put("complete", complete);
        m.put("config", config(config));
        m.put("machine", machine(machine));
        m.put("setup", Map.of("kind", config.setup().kind().name(), "serverCpus", config.setup().serverCpus(),
                "loadCpus", config.setup().loadCpus(), "description", config.setup().describe()));
        List<Object> rs = new ArrayList<>();
        for (RunResult r : runs) rs.add(run(r));
        m.put("runs", rs);
        m.put("serverPids", new ArrayList<>(new TreeSet<>(startedPids)));
        return m;
    }

    static Map<String, Object> config(BenchConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("models", c.models());
        m.put("handler", c.handler());
        m.put("connections", c.connections());
        m.put("modes", c.modes());
        m.put("durationSeconds", c.duration().toMillis() / 1000.0);
        m.put("warmupSeconds", c.warmup().toMillis() / 1000.0);
        m.put("workers", c.workers());
        m.put("clientThreads", c.clientThreads());
        m.put("timeoutSeconds", c.timeout().toMillis() / 1000.0);
        List<Object> targets = new ArrayList<>();
        for (Target t : c.targets()) targets.add(Map.of("name", t.name(), "address", t.hostPort()));
        m.put("targets", targets);
        m.put("out", c.out().toString());
        return m;
    }

    static Map<String, Object> machine(MachineInfo i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", i.cores());
        m.put("cpuModel", i.cpuModel());
        m.put("memoryMb", i.memoryMb());
        m.put("os", i.os());
        m.put("kernel", i.kernel());
        m.put("arch", i.arch());
        m.put("jdk", i.jdk());
        m.put("javaHome", i.javaHome());
        m.put("clockTicksPerSecond", i.clockTicksPerSecond());
        return m;
    }

    static Map<String, Object> run(RunResult r) {
        RunSpec s = r.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("kind", s.isTarget() ? "target" : "model");
        m.put("model", s.model());
        m.put("handler", s.handler());
        m.put("mode", s.mode());
        m.put("connections", s.connections());
        m.put("address", r.address());
        m.put("ok", r.ok());
        if (!r.ok()) m.put("failure", r.failure());
        LoadResult l = r.load();
        if (l != null) {
            m.put("requests", l.requests());
            m.put("seconds", l.seconds());
            m.put("requestsPerSecond", l.perSecond());
            m.put("warmupSeconds", l.warmupSeconds());
            Map<String, Object> lat = new LinkedHashMap<>();
            lat.put("p50", l.latency().p50());
            lat.put("p90", l.latency().p90());
            lat.put("p99", l.latency().p99());
            lat.put("p999", l.latency().p999());
            lat.put("max", l.latency().max());
            lat.put("mean", l.latency().mean());
            m.put("latencyMs", lat);
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("total", l.errors().total());
            err.put("connect", l.errors().connect());
            err.put("reset", l.errors().reset());
            err.put("timeout", l.errors().timeout());
            err.put("badResponse", l.errors().badResponse());
            m.put("errors", err);
        }
        m.put("serverCpuMicrosPerRequest", r.serverCpuMicrosPerRequest());
        m.put("serverCpuSeconds", r.serverCpuSeconds());
        m.put("clientCpuMicrosPerRequest", r.clientCpuMicrosPerRequest());
        m.put("peakRssMb", r.peakRssMb());
        m.put("hwmMb", r.hwmMb());
        m.put("serverPids", r.serverPids());
        m.put("serverExitStatus", r.serverExitStatus());
        return m;
    }

    /** Quotes an argument only when the shell would need it, so the command reads naturally and still pastes. */
    static String shellQuote(String a) {
        if (!a.isEmpty() && a.matches("[A-Za-z0-9_./:=,@%+-]+")) return a;
        return "'" + a.replace("'", "'\\''") + "'";
    }
}

package io.handoff.bench;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code handoff bench --datagram}: UDP echo round trips against each model (a real {@code handoff serve --handler
 * echo --bind udp:127.0.0.1:0}, started in turn) and each {@code --target}, at every rate of {@code --rates} (0: flat
 * out), printing datagrams per second, loss, round-trip percentiles, the server's CPU per answered datagram and how
 * much CPU the generator itself used (if it nears its cores, it was the bottleneck).
 */
final class DatagramBench {
    private final List<String> models;
    private final List<Target> targets;
    private final List<Long> rates;
    private final int senders;
    private final int payload;
    private final Integer workers;
    private final Duration warmup;
    private final Duration duration;
    private final long clockTicks = ProcFs.clockTicksPerSecond();

    DatagramBench(List<String> models, List<Target> targets, List<Long> rates, int senders, int payload,
            Integer workers, Duration warmup, Duration duration) {
        this.models = models;
        this.targets = targets;
        this.rates = rates;
        this.senders = senders;
        this.payload = payload;
        this.workers = workers;
        this.warmup = warmup;
        this.duration = duration;
    }

    int run(PrintWriter out) throws Exception {
        out.printf("%-12s %9s %11s %11s %8s %8s %8s %10s %9s%n", "server", "rate", "sent/s", "answered/s", "loss",
                "p50 µs", "p99 µs", "CPU µs/dg", "gen CPU");
        out.flush();
        try (ChildProcesses children = new ChildProcesses()) {
            for (long rate : rates) {
                for (String model : models) {
                    List<String> cmd = io.handoff.process.SupervisorCommand.java();
                    cmd.addAll(List.of("serve", "--model", model, "--handler", "echo", "--bind", "udp:127.0.0.1:0"));
                    if (workers != null && model.equals("fork")) {
                        cmd.addAll(List.of("--workers", Integer.toString(workers)));
                    }
                    BenchServer server = BenchServer.start(cmd, children, Duration.ofSeconds(60));
                    try {
                        measure(out, model, server.address(), rate, server::tree);
                    } finally {
                        server.stop(Duration.ofSeconds(10));
                    }
                }
                for (Target t : targets) {
                    int port = t.port();
                    measure(out, t.name(), new InetSocketAddress(t.host(), port), rate,
                            () -> ProcFs.trees(ProcFs.pidsBoundUdp(port)));
                }
            }
        }
        return 0;
    }

    private void measure(PrintWriter out, String name, InetSocketAddress at, long rate,
            java.util.function.Supplier<Set<Long>> pids) throws Exception {
        new DatagramLoad(at, senders, rate, payload).run(warmup);
        Set<Long> tree = pids.get();
        long self = ProcessHandle.current().pid();
        long cpu0 = ProcFs.cpuTicks(tree), gen0 = ProcFs.cpuTicks(self);
        long t0 = System.nanoTime();
        DatagramLoad.Result r = new DatagramLoad(at, senders, rate, payload).run(duration);
        long wall = System.nanoTime() - t0;
        long cpu = ProcFs.cpuTicks(tree) - cpu0, gen = ProcFs.cpuTicks(self) - gen0;
        double cpuMicrosPerDatagram = r.answered() == 0 ? Double.NaN
                : cpu * 1e6 / clockTicks / r.answered();
        double genCores = gen * 1e9 / clockTicks / wall;
        out.printf("%-12s %9s %11.0f %11.0f %7.3f%% %8d %8d %10.1f %8.2fc%n", name, rate == 0 ? "max" : rate,
                r.perSecond(r.sent(), duration), r.perSecond(r.answered(), duration),
                r.sent() == 0 ? 0 : 100.0 * r.lost() / r.sent(), r.percentileMicros(0.50),
                r.percentileMicros(0.99), cpuMicrosPerDatagram, genCores);
        out.flush();
    }
}

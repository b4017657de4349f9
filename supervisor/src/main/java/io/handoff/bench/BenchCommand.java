package io.handoff.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.cli.DurationConverter;
import io.handoff.supervisor.Durations;
import io.handoff.control.Json;
import io.handoff.supervisor.ServeConfig.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code handoff bench}: starts a real {@code handoff serve} per model (and connection count and mode), drives it with
 * the built-in load generator, and reports throughput, latency, errors, server CPU per request and memory side by
 * side, as a table on stdout plus results.json and report.html.
 */
@Command(name = "bench", sortOptions = false,
        description = {"Compare the concurrency models side by side: for each model, connection count and mode, start "
                + "a real 'handoff serve', warm it up, load it with the built-in generator, and measure throughput, "
                + "latency percentiles, errors, server CPU per request and peak memory.",
            "With --target, measure an already-running server (e.g. nginx) with the same load."})
public final class BenchCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(BenchCommand.class);
    static final int MAX_CONNECTIONS = 100_000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--models", paramLabel = "LIST", split = ",",
            description = "Models to start and measure, comma-separated: ${COMPLETION-CANDIDATES}. Default: fork, "
                    + "threads and virtual, or none when --target is given.")
    List<Model> models;

    @Option(names = "--handler", paramLabel = "NAME", defaultValue = "http",
            description = "http (GET /), hello (connect, read the greeting) or echo (64-byte round trips). "
                    + "Default: ${DEFAULT-VALUE}.")
    Workload handler;

    @Option(names = "--connections", paramLabel = "LIST", defaultValue = "10,100,1000", split = ",",
            converter = ConnectionCount.class,
            description = "Concurrent connections, comma-separated; one run per value. Default: ${DEFAULT-VALUE}.")
    List<Integer> connections;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "both",
            description = "keepalive (persistent connections), close (a new connection per request) or both. "
                    + "hello is always close, echo always keepalive. Default: ${DEFAULT-VALUE}.")
    Modes mode;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Measured time per run (" + Durations.SYNTAX + "). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "Load before measuring, so the JIT and the connection pool settle (" + Durations.SYNTAX
                    + "). Default: ${DEFAULT-VALUE}.")
    Duration warmup;

    @Option(names = "--workers", paramLabel = "N",
            description = "--workers for the servers (the fork model's worker processes). Default: serve's default.")
    Integer workers;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where results.json and report.html go. Default: bench-results/<timestamp>.")
    Path out;

    @Option(names = "--target", paramLabel = "[NAME=]HOST:PORT", converter = TargetConverter.class,
            description = "An already-running server to measure with the same load; repeatable. Its row is named "
                    + "NAME, or HOST:PORT.")
    List<Target> targets = new ArrayList<>();

    @Option(names = "--client-threads", paramLabel = "N",
            description = "Event-loop threads of the load generator. Default: the number of processors.")
    Integer clientThreads;

    @Option(names = "--setup", paramLabel = "SETUP",
            description = "pinned (servers, --target peers included, on --server-cpus; the load generator on "
                    + "--load-cpus) or shared (every server in its own session, nothing pinned). Every server is "
                    + "started the same way either way. Default: pinned on 2 or more cores, else shared.")
    Setup.Kind setupKind;

    @Option(names = "--server-cpus", paramLabel = "CPUS", defaultValue = "0",
            description = "CPU list (taskset -c syntax) for the servers with --setup pinned. Default: ${DEFAULT-VALUE}.")
    String serverCpus;

    @Option(names = "--load-cpus", paramLabel = "CPUS", defaultValue = "1",
            description = "CPU list for the load generator with --setup pinned. Default: ${DEFAULT-VALUE}.")
    String loadCpus;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "A request (or connect) slower than this counts as an error (" + Durations.SYNTAX
                    + "). Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--datagram", description = "Measure UDP echo instead: each model serving udp:127.0.0.1:0 with "
            + "the echo handler, and each --target as a UDP echo server, at every --rates value.")
    boolean datagram;

    @Option(names = "--rates", paramLabel = "LIST", split = ",", defaultValue = "20000,0",
            description = "--datagram: datagrams per second in all, comma-separated; 0 is flat out (each sender keeps "
                    + DatagramLoad.WINDOW + " in flight). Default: ${DEFAULT-VALUE}.")
    List<Long> rates;

    @Option(names = "--senders", paramLabel = "N", defaultValue = "4",
            description = "--datagram: client sockets, each with a sending and a receiving thread. "
                    + "Default: ${DEFAULT-VALUE}.")
    int senders;

    @Option(names = "--payload-bytes", paramLabel = "N", defaultValue = "64",
            description = "--datagram: bytes per datagram (at least 16). Default: ${DEFAULT-VALUE}.")
    int payloadBytes;

    @Override
    public Integer call() throws InterruptedException {
        if (datagram) return datagramBench();
        BenchConfig config = validate();
        try {
            Files.createDirectories(config.out());
        } catch (IOException e) {
            String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getClass().getSimpleName();
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--out: cannot create " + config.out() + " (" + why + ")");
        }
        if (!ProcFs.available()) log.warn("no Linux /proc here: server CPU and memory will not be measured");
        long clockTicks = ProcFs.clockTicksPerSecond();
        MachineInfo machine = MachineInfo.current(clockTicks); // before pinning: it counts this machine's cores
        try {
            config.setup().pinLoadGenerator();
        } catch (IOException e) {
            log.error("cannot pin the load generator: {}", e.getMessage());
            return 1;
        }
        String startedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<String> args = commandArgs();
        String jvm = ProcessHandle.current().info().commandLine().orElse(null);
        List<RunSpec> runs = config.runs();
        Progress progress = new Progress(System.err, Progress.stderrIsTerminal(), runs.size(),
                config.warmup().plus(config.duration()).toNanos());
        List<RunResult> results;
        List<Long> started;
        try (ChildProcesses children = new ChildProcesses()) {
            BenchRunner runner = new BenchRunner(config, children, progress, clockTicks);
            // Saved after every run, so an interrupted bench still leaves what it measured.
            results = runner.runAll(soFar -> writeJson(config, ResultsJson.of(args, jvm, startedAt, config, machine,
                    soFar, children.everStarted(), false)));
            started = children.everStarted();
        }
        writeJson(config, ResultsJson.of(args, jvm, startedAt, config, machine, results, started, true));
        String command = "handoff " + String.join(" ", args.stream().map(ResultsJson::shellQuote).toList());
        write(config.out().resolve("report.html"), HtmlReport.render(command, startedAt, config, machine, results));
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println("setup: " + config.setup().describe());
        stdout.print(ResultsTable.render(results, ResultsTable.unicodeStdout()));
        stdout.flush();
        System.err.println("bench: " + config.out().resolve("results.json") + ", " + config.out().resolve("report.html"));
        long failed = results.stream().filter(r -> !r.ok()).count();
        if (failed > 0) log.error("{} of {} runs failed (see above and results.json)", failed, results.size());
        return failed == 0 ? 0 : 1;
    }

    /** The parsed options checked together; picocli has already converted each value on its own. */
    BenchConfig validate() {
        List<String> modelList;
        if (models == null) {
            modelList = targets.isEmpty() ? List.of("fork", "threads", "virtual") : List.of();
        } else {
            modelList = models.stream().map(Enum::name).toList();
            require(new HashSet<>(modelList).size() == modelList.size(), "--models: '" + String.join(",", modelList)
                    + "' repeats a model");
        }
        Set<String> names = new HashSet<>(modelList);
        for (Target t : targets) {
            require(names.add(t.name()), "--target: the name '" + t.name() + "' is used twice (every row needs its "
                    + "own; name targets with NAME=HOST:PORT)");
        }
        require(new HashSet<>(connections).size() == connections.size(), "--connections: '"
                + String.join(",", connections.stream().map(String::valueOf).toList()) + "' repeats a value");
        List<Mode> usable = mode.modes().stream().filter(handler.modes()::contains).toList();
        require(!usable.isEmpty(), "--mode " + mode + ": the " + handler + " handler only runs in " + handler.modes()
                .get(0) + " mode");
        require(duration.toMillis() >= 100 && duration.toHours() <= 24, "--duration: must be between 100ms and 24h, "
                + "got " + Durations.format(duration));
        require(warmup.toHours() <= 1, "--warmup: must be at most 1h, got " + Durations.format(warmup));
        require(timeout.toMillis() >= 10 && timeout.toSeconds() <= 60, "--timeout: must be between 10ms and 60s, "
                + "got " + Durations.format(timeout));
        require(workers == null || (workers >= 1 && workers <= 1024),
                "--workers must be between 1 and 1024, got " + workers);
        int threads = clientThreads == null ? Runtime.getRuntime().availableProcessors() : clientThreads;
        require(threads >= 1 && threads <= 256, "--client-threads must be between 1 and 256, got " + threads);
        Path dir = out != null ? out : Path.of("bench-results",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Setup setupChosen = setup();
        return new BenchConfig(modelList, handler, connections, usable, duration, warmup, workers, dir, targets,
                threads, timeout, setupChosen);
    }

    private Setup setup() {
        Setup d = Setup.defaultFor(Runtime.getRuntime().availableProcessors());
        Setup chosen = new Setup(setupKind != null ? setupKind : d.kind(), serverCpus, loadCpus);
        if (chosen.kind() == Setup.Kind.pinned) {
            for (String cpus : List.of(serverCpus, loadCpus)) {
                try {
                    Setup.check(cpus);
                } catch (IOException e) {
                    require(false, "--setup pinned: cannot pin to CPU list '" + cpus + "' (" + e.getMessage()
                            + "); give --server-cpus/--load-cpus this machine has, or --setup shared");
                }
            }
        }
        return chosen;
    }

    /** The arguments as typed, from "bench" on, for results.json. */
    private List<String> commandArgs() {
        List<String> all = spec.commandLine().getParseResult().originalArgs();
        int i = all.indexOf(spec.name());
        return List.copyOf(i >= 0 ? all.subList(i, all.size()) : all);
    }

    private void writeJson(BenchConfig config, Object json) {
        write(config.out().resolve("results.json"), Json.writePretty(json));
    }

    private static void write(Path file, String content) {
        try {
            // Through a temporary file, so a reader (or an interrupted bench) never sees half a file.
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.error("cannot write {}: {}", file, e.toString());
        }
    }

    private void require(boolean ok, String message) {
        if (!ok) throw new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** {@code --mode}: one mode, or both in turn. */
    enum Modes {
        keepalive(List.of(Mode.keepalive)), close(List.of(Mode.close)), both(List.of(Mode.keepalive, Mode.close));

        private final List<Mode> modes;

        Modes(List<Mode> modes) { this.modes = modes; }

        List<Mode> modes() { return modes; }
    }

    /** One item of {@code --connections}: a whole number from 1 to {@link #MAX_CONNECTIONS}. */
    static final class ConnectionCount implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String t = value.trim();
            long n;
            try {
                n = t.length() > 9 ? Long.MAX_VALUE : Long.parseLong(t);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_CONNECTIONS) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number from 1 to "
                        + MAX_CONNECTIONS);
            }
            return (int) n;
        }
    }

    private int datagramBench() throws InterruptedException {
        if (senders < 1 || senders > 256) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--senders must be 1..256, got " + senders);
        }
        if (payloadBytes < 16 || payloadBytes > 65_507) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--payload-bytes must be 16..65507, got "
                    + payloadBytes);
        }
        for (long r : rates) {
            if (r < 0) throw new CommandLine.ParameterException(spec.commandLine(), "--rates must be 0 or more");
        }
        List<String> names = models != null ? models.stream().map(Model::name).toList()
                : targets.isEmpty() ? List.of("fork", "threads", "virtual", "events") : List.of();
        try {
            return new DatagramBench(names, targets, rates, senders, payloadBytes, workers, warmup, duration)
                    .run(spec.commandLine().getOut());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            log.error("datagram bench failed: {}", e.toString());
            return 1;
        }
    }

    static final class TargetConverter implements CommandLine.ITypeConverter<Target> {
        @Override
        public Target convert(String value) {
            try {
                return Target.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}

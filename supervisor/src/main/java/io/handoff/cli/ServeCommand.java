package io.handoff.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.supervisor.Durations;
import io.handoff.engine.VirtualThreadIo;
import io.handoff.datagram.DatagramHandler;
import io.handoff.datagram.DatagramHandlers;
import io.handoff.handler.Handler;
import io.handoff.handler.Handlers;
import io.handoff.handler.HttpLimits;
import io.handoff.listen.BindAddress;
import io.handoff.listen.DatagramListener;
import io.handoff.supervisor.Datagrams;
import io.handoff.listen.Listener;
import io.handoff.supervisor.FdBudget;
import io.handoff.supervisor.Pidfile;
import io.handoff.supervisor.ServeConfig;
import io.handoff.supervisor.ServeConfig.Dispatch;
import io.handoff.supervisor.ServeConfig.Model;
import io.handoff.supervisor.Supervisor;
import io.handoff.supervisor.SystemdNotifier;
import io.handoff.unix.FdLimit;
import io.handoff.unix.Sockets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Listen on the given addresses and serve every connection with the handler.",
        sortOptions = false)
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
    /** A year: longer is surely a typo, and far from overflowing a nanosecond clock. */
    private static final Duration MAX_TIMEOUT = Duration.ofDays(365);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "fork",
            description = "fork (worker processes, fds handed over with SCM_RIGHTS), threads (a bounded pool of "
                    + "platform threads), virtual (a virtual thread per connection), events (NIO selector event "
                    + "loops, non-blocking; built-in handlers only). Default: ${DEFAULT-VALUE}.")
    Model model;

    @Option(names = "--workers", paramLabel = "N",
            description = "Worker processes for --model fork. Default: the number of processors.")
    Integer workers;

    @Option(names = "--dispatch", paramLabel = "HOW", converter = DispatchConverter.class,
            completionCandidates = DispatchCandidates.class,
            description = "How --model fork spreads connections over the workers: least-loaded (the supervisor "
                    + "accepts and hands each one to the least loaded worker; handoff is an older name for it), "
                    + "shared (every worker accepts on the listening sockets itself), round-robin (handed over in "
                    + "turn, blind to load). Default: least-loaded.")
    Dispatch dispatch;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "200",
            description = "Pool threads for --model threads; when all are busy, new clients wait in the listen "
                    + "backlog. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--event-loops", paramLabel = "N",
            description = "Selector threads for --model events. Default: the number of processors.")
    Integer eventLoops;

    @Option(names = "--bind", paramLabel = "ADDR", converter = BindConverter.class,
            description = "HOST:PORT, [IPV6]:PORT, :PORT (all interfaces) or unix:PATH; datagrams: udp:HOST:PORT, "
                    + "udp:[IPV6]:PORT, udp::PORT or unixgram:PATH; repeatable, mixable; port 0 picks a free port. "
                    + "Default: 127.0.0.1:8000.")
    List<BindAddress> binds = new ArrayList<>();

    @Option(names = "--handler", paramLabel = "NAME|CLASS", defaultValue = "http",
            description = "hello, echo, http, daytime, time, or the class name of a user handler (a Handler for "
                    + "connections, a DatagramHandler for datagrams, or both). Default: ${DEFAULT-VALUE}.")
    String handler;

    @Option(names = "--datagram-sockets", paramLabel = "HOW", defaultValue = "shared",
            description = "How --model fork workers get a udp: address: shared (one socket all workers receive on; "
                    + "nothing queued is lost when a worker goes) or reuseport (an SO_REUSEPORT socket per worker: one "
                    + "client's datagrams stay on one worker, but a socket's queue goes with its worker). "
                    + "Default: ${DEFAULT-VALUE}.")
    String datagramSockets;

    @Option(names = "--max-datagram-bytes", paramLabel = "N", defaultValue = "65535",
            description = "Largest datagram served; a larger one is dropped whole and counted. Default: "
                    + "${DEFAULT-VALUE}.")
    int maxDatagramBytes;

    @Option(names = "--handler-classpath", paramLabel = "JAR", description = "Jar (or directory) with the handler class.")
    Path handlerClasspath;

    @Option(names = "--root", paramLabel = "DIR", description = "Directory the http handler serves files from.")
    Path root;

    @Option(names = "--war", paramLabel = "WAR", description = "Serve this web application (a .war or its unpacked "
            + "directory) on embedded Jetty, instead of --handler.")
    Path war;

    @Option(names = "--context-path", paramLabel = "PATH", defaultValue = "/",
            description = "Where --war is served. Default: ${DEFAULT-VALUE}.")
    String contextPath;

    @Option(names = "--backlog", paramLabel = "N", defaultValue = "1024",
            description = "Listen backlog. Default: ${DEFAULT-VALUE}.")
    int backlog;

    @Option(names = "--graceful-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "On SIGTERM, how long open connections may take to finish (" + Durations.SYNTAX + "). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration gracefulTimeout;

    @Option(names = "--boot-timeout", paramLabel = "DURATION", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "A worker not ready this long after spawning is killed (" + Durations.SYNTAX + "). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration bootTimeout;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "A worker silent (no heartbeat) this long is hung: thread dump, kill, replace ("
                    + Durations.SYNTAX + "). Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--max-requests", paramLabel = "N", defaultValue = "0",
            description = "Replace a worker gracefully after it served N connections (0: never).")
    long maxRequests;

    @Option(names = "--max-requests-jitter", paramLabel = "N", defaultValue = "0",
            description = "Add 0..N at random to each worker's --max-requests, so workers do not recycle together.")
    long maxRequestsJitter;

    @Option(names = "--max-worker-memory", paramLabel = "MB", defaultValue = "0",
            description = "Replace a worker gracefully once its RSS exceeds MB (0: never).")
    long maxWorkerMemory;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "Close a connection that sends nothing for this long while the server waits for it: "
                    + "between requests, or a client gone quiet (" + Durations.SYNTAX + "; 0: never). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration idleTimeout;

    @Option(names = "--read-timeout", paramLabel = "DURATION", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "A request must arrive whole within this long of its first byte; http answers 408 and "
                    + "closes (" + Durations.SYNTAX + "; 0: no limit). Default: ${DEFAULT-VALUE}.")
    Duration readTimeout;

    @Option(names = "--max-header-bytes", paramLabel = "N", defaultValue = "16384",
            description = "Largest HTTP request head (request line and header fields); beyond it http answers 414 "
                    + "(the request line alone) or 431. Default: ${DEFAULT-VALUE}.")
    long maxHeaderBytes;

    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "Largest HTTP request body (Content-Length or chunked); beyond it http answers 413 and "
                    + "closes without reading it (0: no limit). Default: ${DEFAULT-VALUE}.")
    long maxBodyBytes;

    @Option(names = "--control", paramLabel = "PATH",
            description = "Control socket for 'handoff ctl'. Default: $XDG_RUNTIME_DIR/handoff/ (or "
                    + "/tmp/handoff-UID/) + the first listener's address + .sock.")
    Path control;

    @Option(names = "--pidfile", paramLabel = "PATH", description = "Write the supervisor's pid here once ready.")
    Path pidfile;

    @Option(names = "--log-file", paramLabel = "PATH",
            description = "Log here instead of stderr; SIGUSR1 or 'ctl reopen-logs' reopens it.")
    Path logFile;

    @Option(names = "--daemon", description = "Detach and run in the background; returns once serving (needs "
            + "--log-file).")
    boolean daemon;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections the server holds at once; at this many it stops accepting until one ends, and "
                    + "new clients wait in the listen backlog. Default: 10000, or fewer to fit the fd limit (ulimit -n).")
    Integer maxConnections;

    @Option(names = "--worker-connections", paramLabel = "N",
            description = "Connections one --model fork worker holds at once. Default: --max-connections divided by "
                    + "--workers, rounded up (fewer to fit the fd limit).")
    Integer workerConnections;

    /** Worked out in validate(), logged once logging goes where it should. */
    private FdBudget.Plan capacity;
    private FdLimit fdLimit;

    @Override
    public Integer call() {
        ServeConfig config = validate();
        if (daemon && !Daemon.isChild()) {
            if (logFile == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--daemon needs --log-file PATH (a daemon has no terminal to log to)");
            }
            return Daemon.launch(spec.commandLine().getParseResult().originalArgs(), config, spec.commandLine());
        }
        if (Daemon.isChild()) Daemon.detachFromTerminal();
        if (logFile != null) {
            try {
                io.handoff.logging.Logs.toFile(logFile, true);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--log-file: " + e.getMessage());
            }
        }
        if (pidfile != null) {
            try {
                Pidfile.checkNotRunning(pidfile);
                if (!java.nio.file.Files.isDirectory(pidfile.toAbsolutePath().getParent())) {
                    throw new java.io.IOException("--pidfile directory " + pidfile.toAbsolutePath().getParent()
                            + " does not exist");
                }
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        Handler handlerObject = null;
        io.handoff.engine.Engine appEngine = null;
        DatagramHandler datagramHandler = null;
        List<BindAddress> streamBinds = config.binds().stream().filter(b -> !b.datagram()).toList();
        List<BindAddress> datagramBinds = config.binds().stream().filter(BindAddress::datagram).toList();
        try {
            // A bad --handler fails now, with a clear line, not in N workers. In fork the supervisor only checks it:
            // user code (a static initialiser that hangs, exits or fills the heap) runs in the workers alone.
            var app = io.handoff.app.Apps.detect(config.handler(), config.handlerClasspath());
            if (app.isEmpty()) {
                // A handler bound to a kind of socket it does not serve is refused before anything is loaded.
                DatagramHandlers.checkKinds(handler, handlerClasspath,
                        streamBinds.isEmpty() ? null : streamBinds.get(0).text(),
                        datagramBinds.isEmpty() ? null : datagramBinds.get(0).text());
            }
            if (app.isPresent()) {
                if (!datagramBinds.isEmpty()) {
                    throw new Handlers.HandlerLoadException("--handler " + handler + " is an application, which "
                            + "serves connections, not datagrams: bind it to stream addresses only");
                }
                // --model events was refused in validate(): an application is not a built-in.
                if (config.model() != Model.fork) {
                    appEngine = io.handoff.app.Apps.engine(app.get(), new io.handoff.app.AppSettings(
                            config.model().name(), config.threads(), config.timeouts(), config.httpLimits()));
                }
            } else if (config.model() == Model.fork) {
                if (!streamBinds.isEmpty()) Handlers.check(handler, handlerClasspath, root);
                if (!datagramBinds.isEmpty()) DatagramHandlers.check(handler, handlerClasspath);
            } else {
                // Loaded whenever it serves connections, even with no stream bind: the engine is made with it.
                if (DatagramHandlers.kinds(handler, handlerClasspath).contains(DatagramHandlers.Kind.STREAM)) {
                    handlerObject = Handlers.load(handler, handlerClasspath, root, config.httpLimits());
                }
                if (!datagramBinds.isEmpty()) {
                    datagramHandler = DatagramHandlers.load(handler, handlerClasspath, handlerObject);
                }
            }
        } catch (Handlers.HandlerLoadException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            // The control socket (every model), the virtual model and fork workers block on virtual threads.
            VirtualThreadIo.initialize();
        } catch (IOException e) {
            log.error("{}", e.getMessage());
            return Supervisor.EXIT_FAILURE;
        }
        if (config.model() == Model.fork) {
            try {
                Sockets.ensureAvailable();
            } catch (RuntimeException | LinkageError e) {
                log.error("the fork model needs native fd passing, which is not available here: {}", e.toString());
                return Supervisor.EXIT_FAILURE;
            }
        }
        List<Listener> listeners = new ArrayList<>();
        List<DatagramListener> datagramListeners = new ArrayList<>();
        boolean reusePort = config.model() == Model.fork && datagramSockets.equals("reuseport");
        try {
            int inherited = socketActivationFds();
            if (inherited > 0) {
                listeners.addAll(Listener.inherited(inherited));
            } else {
                for (BindAddress b : streamBinds) listeners.add(Listener.bind(b, config.backlog()));
            }
            for (BindAddress b : datagramBinds) {
                datagramListeners.add(DatagramListener.bind(b, reusePort && !(b.address()
                        instanceof java.net.UnixDomainSocketAddress)));
            }
            // Hand connections over once their request is there, where the protocol has the client speak first.
            if (io.handoff.handler.Handlers.clientSpeaksFirst(config.handler())) {
                for (Listener l : listeners) l.deferAcceptUntilData();
            }
        } catch (Listener.ListenException e) {
            listeners.forEach(Listener::close);
            datagramListeners.forEach(DatagramListener::close);
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (handlerObject == null && appEngine == null && config.model() != Model.fork) {
            handlerObject = NO_CONNECTIONS;
        }
        Supervisor supervisor = new Supervisor(config, listeners, new Datagrams(datagramListeners, datagramHandler,
                reusePort, maxDatagramBytes), handlerObject, SystemdNotifier.fromEnvironment());
        if (appEngine != null) supervisor.serveWith(appEngine);
        try {
            supervisor.openControl();
        } catch (java.io.IOException e) {
            listeners.forEach(Listener::close);
            datagramListeners.forEach(DatagramListener::close);
            throw new CommandLine.ParameterException(spec.commandLine(), "--control: " + e.getMessage());
        }
        logCapacity(config); // after the last configuration error: those stay one line
        return supervisor.run();
    }

    /** The stream handler of a serve with datagram binds only: no connection ever reaches it. */
    private static final Handler NO_CONNECTIONS = connection -> {
        throw new IllegalStateException("no stream listener");
    };

    /** LISTEN_FDS when LISTEN_PID names this process (sd_listen_fds(3)); 0 otherwise. */
    private static int socketActivationFds() {
        String pid = System.getenv("LISTEN_PID");
        String fds = System.getenv("LISTEN_FDS");
        if (pid == null || fds == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) return 0;
        try {
            return Math.max(0, Integer.parseInt(fds));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private ServeConfig validate() {
        int n = workers == null ? Runtime.getRuntime().availableProcessors() : workers;
        require(n >= 1 && n <= 1024, "--workers must be between 1 and 1024, got " + n);
        require(threads >= 1 && threads <= 100_000, "--threads must be between 1 and 100000, got " + threads);
        int loops = eventLoops == null ? Runtime.getRuntime().availableProcessors() : eventLoops;
        require(loops >= 1 && loops <= 1024, "--event-loops must be between 1 and 1024, got " + loops);
        // Before loading anything: a user handler is blocking code, which would stall a whole event loop.
        if (war != null) {
            require(handlerClasspath == null, "--war and --handler-classpath: give one (a WAR brings its classes)");
            require(java.nio.file.Files.exists(war), "--war " + war + " does not exist");
            require(contextPath.startsWith("/"), "--context-path must start with /, got '" + contextPath + "'");
            handler = io.handoff.app.Apps.warHandler(contextPath);
            handlerClasspath = war;
        }
        require(model != Model.events || Handlers.BUILT_IN.contains(handler), "--model events runs the built-in "
                + "handlers " + String.join(", ", Handlers.BUILT_IN) + "; a user handler needs fork, threads or virtual");
        require(backlog >= 1, "--backlog must be at least 1, got " + backlog);
        requireAtMost("--graceful-timeout", gracefulTimeout);
        // A worker JVM takes about half a second to start and heartbeats every second: less is never met.
        require(bootTimeout.toMillis() >= 1000, "--boot-timeout must be at least 1s, got "
                + Durations.format(bootTimeout));
        require(timeout.toMillis() >= 1000, "--timeout must be at least 1s, got " + Durations.format(timeout));
        requireAtMost("--boot-timeout", bootTimeout);
        requireAtMost("--timeout", timeout);
        require(maxRequests >= 0, "--max-requests must be 0 (never) or more, got " + maxRequests);
        require(maxRequestsJitter >= 0, "--max-requests-jitter must be 0 or more, got " + maxRequestsJitter);
        require(maxWorkerMemory >= 0, "--max-worker-memory must be 0 (no limit) or more MB, got " + maxWorkerMemory);
        requireAtMost("--idle-timeout", idleTimeout);
        requireAtMost("--read-timeout", readTimeout);
        require(maxHeaderBytes >= HttpLimits.MIN_HEADER_BYTES && maxHeaderBytes <= HttpLimits.MAX_HEADER_BYTES,
                "--max-header-bytes must be between " + HttpLimits.MIN_HEADER_BYTES + " and "
                        + HttpLimits.MAX_HEADER_BYTES + ", got " + maxHeaderBytes);
        require(maxBodyBytes >= 0, "--max-body-bytes must be 0 (no limit) or more, got " + maxBodyBytes);
        require(dispatch == null || model == Model.fork, "--dispatch applies to --model fork only");
        require(datagramSockets.equals("shared") || datagramSockets.equals("reuseport"),
                "--datagram-sockets must be shared or reuseport, got '" + datagramSockets + "'");
        require(datagramSockets.equals("shared") || model == Model.fork,
                "--datagram-sockets applies to --model fork only");
        require(maxDatagramBytes >= 1 && maxDatagramBytes <= 16 << 20,
                "--max-datagram-bytes must be between 1 and " + (16 << 20) + ", got " + maxDatagramBytes);
        List<BindAddress> b = binds.isEmpty() ? List.of(BindAddress.parse("127.0.0.1:8000")) : List.copyOf(binds);
        planCapacity(n, b.size());
        return new ServeConfig(model, n, dispatch == null ? Dispatch.LEAST_LOADED : dispatch, threads, loops, b,
                handler, handlerClasspath, root, backlog,
                gracefulTimeout, bootTimeout, timeout,
                maxRequests, maxRequestsJitter, maxWorkerMemory,
                idleTimeout, readTimeout, (int) maxHeaderBytes, maxBodyBytes,
                abs(control), abs(pidfile), abs(logFile),
                capacity.maxConnections(), capacity.workerConnections());
    }

    /** Raises the fd limit as far as it goes (workers inherit it) and fits the connection limits to it. */
    private void planCapacity(int workerCount, int binds) {
        require(maxConnections == null || maxConnections >= 1,
                "--max-connections must be at least 1, got " + maxConnections);
        require(workerConnections == null || workerConnections >= 1,
                "--worker-connections must be at least 1, got " + workerConnections);
        require(workerConnections == null || model == Model.fork, "--worker-connections applies to --model fork only");
        try {
            fdLimit = FdLimit.raise();
        } catch (IOException | RuntimeException | LinkageError e) {
            fdLimit = null; // no native access here: nothing to raise, and nothing to fit to
        }
        int inherited = socketActivationFds();
        capacity = FdBudget.plan(model, dispatch == null ? Dispatch.LEAST_LOADED : dispatch, workerCount,
                inherited > 0 ? inherited : binds, maxConnections, workerConnections,
                fdLimit == null ? Long.MAX_VALUE : fdLimit.soft());
    }

    private void logCapacity(ServeConfig config) {
        log.info("capacity max_connections={}{} fd_limit={}", config.maxConnections(),
                config.model() == Model.fork ? " worker_connections=" + config.workerConnections() : "",
                fdLimit == null ? "unknown" : fdLimit);
        capacity.notes().forEach(log::info);
        capacity.warnings().forEach(log::warn);
    }

    private static Path abs(Path p) { return p == null ? null : p.toAbsolutePath(); }

    private void require(boolean ok, String message) {
        if (!ok) throw new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private void requireAtMost(String option, Duration d) {
        require(d.compareTo(MAX_TIMEOUT) <= 0, option + " must be at most " + MAX_TIMEOUT.toDays() + " days, got "
                + Durations.format(d));
    }

    static final class DispatchConverter implements CommandLine.ITypeConverter<Dispatch> {
        @Override
        public Dispatch convert(String value) {
            try {
                return Dispatch.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class DispatchCandidates implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(Dispatch.values()).map(Dispatch::flag).iterator();
        }
    }

    static final class BindConverter implements CommandLine.ITypeConverter<BindAddress> {
        @Override
        public BindAddress convert(String value) {
            try {
                return BindAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}

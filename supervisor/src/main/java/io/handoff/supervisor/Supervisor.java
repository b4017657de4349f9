package io.handoff.supervisor;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.control.CommandRegistry;
import io.handoff.control.CommandRegistry.CommandException;
import io.handoff.control.ControlServer;
import io.handoff.control.Json;
import io.handoff.engine.EventLoopEngine;
import io.handoff.engine.ThreadPoolEngine;
import io.handoff.engine.VirtualThreadEngine;
import io.handoff.handler.Handler;
import io.handoff.listen.Listener;
import io.handoff.logging.Logs;

/**
 * The supervisor: one loop that waits for events (signals, worker lifecycle, control commands), acts on them, and
 * ticks the model's health checks. Everything else (signal handlers, link readers, process reapers, the control
 * socket) only enqueues. Signals and control commands are two doors into the same verbs.
 */
public final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    private static final long TICK_MILLIS = 200;

    /** Exit status when serving could not start or had to stop on an error. */
    public static final int EXIT_FAILURE = 1;

    private final ServeConfig config;
    private final List<Listener> listeners;
    /** The datagram sockets, served beside the listeners by the same model. */
    private final Datagrams datagrams;
    private final Handler handler;
    /** Set before run() when the handler is an application; null otherwise. */
    private io.handoff.engine.Engine appEngine;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final CommandRegistry commands = new CommandRegistry();
    private final SystemdNotifier systemd;
    private final long startedMillis = System.currentTimeMillis();
    private ServingModel model;
    private ControlServer control;
    private Duration stopRequested;
    /** Answers written by the control socket; a stop by command waits for its own before tearing down. */
    private final java.util.concurrent.Semaphore replies = new java.util.concurrent.Semaphore(0);
    private String stopReason;
    /** systemd was told RELOADING=1 and waits for READY=1. */
    private boolean reloadNotified;
    private boolean pidfileWritten;

    public Supervisor(ServeConfig config, List<Listener> listeners, Handler handler, SystemdNotifier systemd) {
        this(config, listeners, Datagrams.NONE, handler, systemd);
    }

    public Supervisor(ServeConfig config, List<Listener> listeners, Datagrams datagrams, Handler handler,
            SystemdNotifier systemd) {
        this.config = config;
        this.listeners = listeners;
        this.datagrams = datagrams;
        this.handler = handler;
        this.systemd = systemd;
        registerCommands();
    }

    /** Binds the control socket; a failure is a configuration error the caller reports. */
    public Path openControl() throws IOException {
        Path path = config.control() != null ? config.control()
                : io.handoff.control.ControlPaths.forInstance(listeners.isEmpty()
                        ? datagrams.listeners().get(0).describe() : listeners.get(0).describe());
        control = ControlServer.start(path, this::submitCommand, replies::release);
        return path;
    }

    /** Called on a control-client thread: the loop runs the command; this waits (bounded) for its answer. */
    private Map<String, Object> submitCommand(List<String> words) {
        CompletableFuture<Map<String, Object>> answer = new CompletableFuture<>();
        events.add(new Event.Command(words, answer));
        try {
            return answer.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return CommandRegistry.error("no answer from the supervisor loop: " + e);
        }
    }

    private void registerCommands() {
        commands.add("status", "status", "model, listeners, uptime and every worker", args -> status())
                .add("reload", "reload", "replace every worker (new ones ready first), or reload the handler", args -> {
                    beginReload();
                    return Json.object("message", "reload started");
                })
                .add("scale", "scale N", "set the number of workers", args -> {
                    if (args.size() != 1) throw new CommandException("give the number of workers");
                    try {
                        model.scale(Integer.parseInt(args.get(0)));
                    } catch (NumberFormatException e) {
                        throw new CommandException("'" + args.get(0) + "' is not a number");
                    }
                    return Json.object("message", "workers set to " + args.get(0), "workers", model.targetWorkers());
                })
                .add("stop", "stop [--graceful-timeout DURATION]", "stop: listeners close, connections finish", args -> {
                    Duration grace = config.gracefulTimeout();
                    if (args.size() == 2 && args.get(0).equals("--graceful-timeout")) {
                        grace = parseDuration(args.get(1));
                    } else if (!args.isEmpty()) {
                        throw new CommandException("unexpected " + String.join(" ", args));
                    }
                    stopRequested = grace;
                    stopReason = "control command";
                    return Json.object("message", "stopping", "graceful_timeout_seconds", grace.toSeconds(),
                            "graceful_timeout", Durations.format(grace));
                })
                .add("reopen-logs", "reopen-logs", "reopen the log file (after logrotate)", args -> {
                    if (!reopenLogs()) {
                        throw new CommandException("cannot reopen " + config.logFile() + "; still logging to the "
                                + "file it had");
                    }
                    return Json.object("message", "log files reopened");
                })
                .withHelp();
    }

    static Duration parseDuration(String text) throws CommandException {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandException(e.getMessage());
        }
    }

    private Map<String, Object> status() {
        List<Object> ls = new ArrayList<>();
        for (Listener l : listeners) ls.add(l.describe());
        for (io.handoff.listen.DatagramListener d : datagrams.listeners()) ls.add(d.describe());
        Map<String, Object> s = Json.object("pid", ProcessHandle.current().pid(), "model", config.model().name(),
                "handler", config.handler(), "listeners", ls,
                "uptime_seconds", (System.currentTimeMillis() - startedMillis) / 1000,
                "ready", model.isReady(), "reloading", model.isReloading());
        if (config.model() == ServeConfig.Model.fork) {
            s.put("workers_target", model.targetWorkers());
            s.put("dispatch", config.dispatch().flag());
        }
        if (config.model() == ServeConfig.Model.threads) s.put("threads", config.threads());
        if (config.model() == ServeConfig.Model.events) s.put("event_loops", config.eventLoops());
        s.putAll(model.counters());
        s.put("workers", model.workerStatus());
        return s;
    }

    /** Returns false when there is a log file and it could not be reopened (logging goes on into the old one). */
    private boolean reopenLogs() {
        boolean reopened = Logs.reopen();
        model.reopenLogs();
        if (config.logFile() == null) {
            log.info("reopen logs: logging to stderr, nothing to reopen");
            return true;
        }
        if (reopened) log.info("reopen logs file={}", config.logFile());
        else log.error("reopen logs failed file={}; still logging to the file it had (see stderr)", config.logFile());
        return reopened;
    }

    /**
     * The threads and virtual models serve with this engine instead of one around the handler: an application
     * (servlet, WAR, Netty) already started on the model's threads.
     */
    public void serveWith(io.handoff.engine.Engine engine) { this.appEngine = engine; }

    /** Serves until told to stop; returns the process exit status. */
    public int run() {
        Signals.install(events);
        model = switch (config.model()) {
            case fork -> ForkModel.create(config, listeners, datagrams, events);
            case threads -> new InProcessModel(config, listeners, appEngine != null ? appEngine
                    : new ThreadPoolEngine(handler, config.threads(), config.timeouts()), datagrams);
            case virtual -> new InProcessModel(config, listeners, appEngine != null ? appEngine
                    : new VirtualThreadEngine(handler, config.timeouts()), datagrams);
            case events -> new InProcessModel(config, listeners,
                    new EventLoopEngine(handler, config.eventLoops(), config.timeouts()), datagrams);
        };
        // No deadline of its own for the first start: each worker has --boot-timeout, and the fork model gives up
        // after a bounded number of failed starts.
        boolean announced = false;
        try {
            model.start();
            while (true) {
                if (!announced && model.isReady()) {
                    announce();
                    announced = true;
                }
                if (reloadNotified && !model.isReloading()) {
                    reloadNotified = false;
                    systemd.ready("serving (reloaded)");
                }
                Event event = events.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
                if (event != null) handle(event);
                if (stopRequested != null) {
                    stop(stopRequested);
                    return 0;
                }
                model.tick();
                systemd.watchdog();
            }
        } catch (ServingModel.StartupException e) {
            log.error("{}", e.getMessage());
            systemd.status("failed: " + e.getMessage());
            model.stop(Duration.ZERO);
            closeListeners();
            closeControl();
            return e.status();
        } catch (InterruptedException e) {
            model.stop(Duration.ZERO);
            closeListeners();
            closeControl();
            return EXIT_FAILURE;
        }
    }

    private void handle(Event event) throws ServingModel.StartupException {
        switch (event) {
            case Event.Signal s -> onSignal(s.name());
            case Event.Fatal f -> throw new ServingModel.StartupException(f.message(), EXIT_FAILURE);
            case Event.Command c -> {
                replies.drainPermits();
                c.answer().complete(commands.execute(c.words()));
                if (stopRequested != null) awaitReply();
            }
            case Event.WorkerEvent w -> model.onEvent(w);
        }
    }

    private void awaitReply() {
        try {
            replies.tryAcquire(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void onSignal(String name) {
        log.info("signal SIG{}", name);
        try {
            switch (name) {
                case "TERM" -> requestStop(config.gracefulTimeout(), "SIGTERM");
                case "INT", "QUIT" -> requestStop(Duration.ZERO, "SIG" + name);
                case "HUP" -> beginReload();
                case "TTIN" -> model.scale(model.targetWorkers() + 1);
                case "TTOU" -> model.scale(Math.max(1, model.targetWorkers() - 1));
                case "USR1" -> reopenLogs();
                default -> log.warn("no action for SIG{}", name);
            }
        } catch (CommandException e) {
            log.warn("SIG{} ignored: {}", name, e.getMessage());
        }
    }

    /**
     * SIGHUP and {@code ctl reload} alike. systemd hears RELOADING=1 now and READY=1 once the model's reload is over
     * (for the in-process models, on the next turn of the loop); a reload refused still ends with READY=1, or a
     * {@code Type=notify-reload} unit would wait for it forever.
     */
    private void beginReload() throws CommandException {
        systemd.reloading();
        try {
            model.reload();
            reloadNotified = true;
        } catch (CommandException e) {
            systemd.ready("serving (reload refused: " + e.getMessage() + ")");
            throw e;
        }
    }

    private void requestStop(Duration grace, String reason) {
        stopRequested = grace;
        stopReason = reason;
    }

    private void announce() {
        for (Listener l : listeners) log.info("listening on {} {}", l.describe(), config.describeModel());
        for (io.handoff.listen.DatagramListener d : datagrams.listeners()) {
            log.info("listening on {} {}{}", d.describe(), config.describeModel(),
                    config.model() == ServeConfig.Model.fork && d.reusePort() ? " datagram_sockets=reuseport" : "");
        }
        if (control != null) log.info("control socket {}", control.path());
        if (config.pidfile() != null) {
            try {
                Pidfile.write(config.pidfile());
                pidfileWritten = true;
            } catch (IOException e) {
                log.error("cannot write pidfile {}: {}", config.pidfile(), e.toString());
            }
        }
        systemd.ready("serving " + config.describeModel());
    }

    private void stop(Duration grace) {
        log.info("stopping ({}) graceful_timeout={}ms", stopReason, grace.toMillis());
        systemd.stopping();
        long t0 = System.nanoTime();
        boolean graceful = model.stop(grace);
        log.info("stopped {} in {}ms", graceful ? "gracefully" : "by force (deadline passed)",
                (System.nanoTime() - t0) / 1_000_000);
        closeControl();
    }

    /** Models close the listeners as they stop; this covers a model that failed before it had them. */
    private void closeListeners() {
        listeners.forEach(Listener::close);
        datagrams.listeners().forEach(io.handoff.listen.DatagramListener::close);
    }

    private void closeControl() {
        if (control != null) control.close();
        if (config.pidfile() != null) removePidfile(config.pidfile());
    }

    private void removePidfile(Path pidfile) {
        if (!pidfileWritten) return;
        switch (Pidfile.removeIfOurs(pidfile)) {
            case GONE -> {
                Path dir = pidfile.getParent();
                log.warn("pidfile {} was already gone{}; nothing to remove", pidfile, dir != null
                        && !java.nio.file.Files.isDirectory(dir) ? " (its directory " + dir + " was removed)" : "");
            }
            case NOT_OURS -> log.warn("pidfile {} no longer names this process; left in place", pidfile);
            case REMOVED -> { }
        }
    }

    /** Which listener addresses, for callers that bound port 0. */
    public List<String> describeListeners() {
        List<String> out = new ArrayList<>();
        for (Listener l : listeners) out.add(l.describe());
        return out;
    }

    /** For signal-like control from tests and embedding: enqueue a stop. */
    void enqueue(Event e) { events.add(e); }

    Optional<ControlServer> control() { return Optional.ofNullable(control); }
}

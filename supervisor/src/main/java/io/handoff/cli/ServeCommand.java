package io.handoff.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.handler.Handler;
import io.handoff.handler.Handlers;
import io.handoff.listen.BindAddress;
import io.handoff.listen.Listener;
import io.handoff.supervisor.ServeConfig;
import io.handoff.supervisor.ServeConfig.Model;
import io.handoff.supervisor.Supervisor;
import io.handoff.unix.Sockets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Listen on the given addresses and serve every connection with the handler.",
        sortOptions = false)
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "fork",
            description = "fork (worker processes, fds handed over with SCM_RIGHTS), threads (a bounded pool of "
                    + "platform threads), virtual (a virtual thread per connection). Default: ${DEFAULT-VALUE}.")
    Model model;

    @Option(names = "--workers", paramLabel = "N",
            description = "Worker processes for --model fork. Default: the number of processors.")
    Integer workers;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "200",
            description = "Pool threads for --model threads; when all are busy, new clients wait in the listen "
                    + "backlog. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--bind", paramLabel = "ADDR", converter = BindConverter.class,
            description = "HOST:PORT, [IPV6]:PORT, :PORT (all interfaces) or unix:PATH; repeatable; port 0 picks a "
                    + "free port. Default: 127.0.0.1:8000.")
    List<BindAddress> binds = new ArrayList<>();

    @Option(names = "--handler", paramLabel = "NAME|CLASS", defaultValue = "http",
            description = "hello, echo, http, or the class name of a user handler. Default: ${DEFAULT-VALUE}.")
    String handler;

    @Option(names = "--handler-classpath", paramLabel = "JAR", description = "Jar (or directory) with the handler class.")
    Path handlerClasspath;

    @Option(names = "--root", paramLabel = "DIR", description = "Directory the http handler serves files from.")
    Path root;

    @Option(names = "--backlog", paramLabel = "N", defaultValue = "1024",
            description = "Listen backlog. Default: ${DEFAULT-VALUE}.")
    int backlog;

    @Option(names = "--graceful-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM, how long open connections may take to finish. Default: ${DEFAULT-VALUE}.")
    int gracefulTimeout;

    @Option(names = "--boot-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long workers may take to report ready. Default: ${DEFAULT-VALUE}.")
    int bootTimeout;

    @Override
    public Integer call() {
        ServeConfig config = validate();
        Handler handlerObject;
        try {
            // Loaded here in every model: a bad --handler fails now, with a clear line, not in N workers.
            handlerObject = Handlers.load(handler, handlerClasspath, root);
        } catch (Handlers.HandlerLoadException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
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
        for (BindAddress b : config.binds()) {
            try {
                listeners.add(Listener.bind(b, config.backlog()));
            } catch (Listener.ListenException e) {
                listeners.forEach(Listener::close);
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return new Supervisor(config, listeners, handlerObject).run();
    }

    private ServeConfig validate() {
        int n = workers == null ? Runtime.getRuntime().availableProcessors() : workers;
        require(n >= 1 && n <= 1024, "--workers must be between 1 and 1024, got " + n);
        require(threads >= 1 && threads <= 100_000, "--threads must be between 1 and 100000, got " + threads);
        require(backlog >= 1, "--backlog must be at least 1, got " + backlog);
        require(gracefulTimeout >= 0, "--graceful-timeout must be 0 or more seconds, got " + gracefulTimeout);
        require(bootTimeout >= 1, "--boot-timeout must be at least 1 second, got " + bootTimeout);
        List<BindAddress> b = binds.isEmpty() ? List.of(BindAddress.parse("127.0.0.1:8000")) : List.copyOf(binds);
        return new ServeConfig(model, n, threads, b, handler, handlerClasspath, root, backlog,
                Duration.ofSeconds(gracefulTimeout), Duration.ofSeconds(bootTimeout));
    }

    private void require(boolean ok, String message) {
        if (!ok) throw new CommandLine.ParameterException(spec.commandLine(), message);
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

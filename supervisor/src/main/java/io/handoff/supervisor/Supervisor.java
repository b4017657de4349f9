package io.handoff.supervisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.Engine;
import io.handoff.engine.ThreadPoolEngine;
import io.handoff.engine.VirtualThreadEngine;
import io.handoff.handler.Handler;
import io.handoff.listen.Listener;

/**
 * The supervisor: one loop that waits for events (signals, worker lifecycle) and acts on them. Everything else
 * (signal handlers, link readers, process reapers) only enqueues.
 */
public final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** Exit status when serving could not start or had to stop on an error. */
    public static final int EXIT_FAILURE = 1;

    private final ServeConfig config;
    private final List<Listener> listeners;
    private final Handler handler;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    public Supervisor(ServeConfig config, List<Listener> listeners, Handler handler) {
        this.config = config;
        this.listeners = listeners;
        this.handler = handler;
    }

    /** Serves until a stop signal; returns the process exit status. */
    public int run() {
        Signals.install(events, "TERM", "INT");
        ServingModel model = switch (config.model()) {
            case fork -> new ForkModel(config, listeners, events);
            case threads -> new InProcessModel(listeners, new ThreadPoolEngine(handler, config.threads()));
            case virtual -> new InProcessModel(listeners, new VirtualThreadEngine(handler));
        };
        long bootDeadline = System.nanoTime() + config.bootTimeout().toNanos();
        boolean announced = false;
        try {
            model.start();
            while (true) {
                if (!announced && model.isReady()) {
                    announce();
                    announced = true;
                }
                long wait = announced ? Long.MAX_VALUE : bootDeadline - System.nanoTime();
                if (!announced && wait <= 0) {
                    throw new ServingModel.StartupException("workers not ready within " + config.bootTimeout()
                            .toSeconds() + "s (raise --boot-timeout?)", EXIT_FAILURE);
                }
                Event event = events.poll(wait, TimeUnit.NANOSECONDS);
                if (event == null) continue;
                if (event instanceof Event.Signal s) {
                    Duration grace = s.name().equals("TERM") ? config.gracefulTimeout() : Duration.ZERO;
                    stop(model, s.name(), grace);
                    return 0;
                }
                model.onEvent(event);
            }
        } catch (ServingModel.StartupException e) {
            log.error("{}", e.getMessage());
            model.stop(Duration.ZERO);
            return e.status();
        } catch (InterruptedException e) {
            model.stop(Duration.ZERO);
            return EXIT_FAILURE;
        }
    }

    private void announce() {
        for (Listener l : listeners) log.info("listening on {} {}", l.describe(), config.describeModel());
    }

    private void stop(ServingModel model, String signal, Duration grace) {
        log.info("stopping on SIG{} graceful_timeout={}ms", signal, grace.toMillis());
        long t0 = System.nanoTime();
        boolean graceful = model.stop(grace);
        log.info("stopped {} in {}ms", graceful ? "gracefully" : "by force (deadline passed)",
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** The listeners' real addresses, for callers that bound port 0. */
    public List<String> describeListeners() {
        List<String> out = new ArrayList<>();
        for (Listener l : listeners) out.add(l.describe());
        return out;
    }
}

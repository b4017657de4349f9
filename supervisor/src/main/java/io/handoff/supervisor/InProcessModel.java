package io.handoff.supervisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.control.CommandRegistry.CommandException;
import io.handoff.control.Json;
import io.handoff.engine.AcceptGate;
import io.handoff.engine.AcceptLoop;
import io.handoff.engine.Engine;
import io.handoff.handler.Handlers;
import io.handoff.listen.Listener;

/**
 * The threads, virtual and events models: one acceptor thread per listener feeds an engine in this process (the
 * event-loop engine deals the connections round-robin to its selector threads). Reload loads the handler afresh (a
 * new class loader, so a changed jar is picked up) for connections accepted from then on.
 */
final class InProcessModel implements ServingModel {
    private static final Logger log = LoggerFactory.getLogger(InProcessModel.class);

    private final ServeConfig config;
    private final List<Listener> listeners;
    private final Engine engine;
    private final List<Thread> acceptors = new ArrayList<>();
    /** Shared by every listener's acceptor: --max-connections bounds the process, not each listener. */
    private final AcceptGate gate;
    private final AcceptLoop acceptLoop;
    private volatile boolean stopping;

    InProcessModel(ServeConfig config, List<Listener> listeners, Engine engine) {
        this.config = config;
        this.listeners = listeners;
        this.engine = engine;
        this.gate = new AcceptGate(config.maxConnections(), engine::open, "max=" + config.maxConnections());
        this.acceptLoop = new AcceptLoop(engine, gate, () -> stopping);
    }

    @Override
    public void start() {
        for (Listener l : listeners) {
            acceptors.add(Thread.ofPlatform().name("accept-" + l.describe())
                    .start(() -> acceptLoop.run(l.channel(), l.describe(), l.deferred())));
        }
    }

    @Override
    public boolean isReady() { return !acceptors.isEmpty(); }

    @Override
    public void reload() throws CommandException {
        try {
            if (io.handoff.app.Apps.detect(config.handler(), config.handlerClasspath()).isPresent()) {
                throw new CommandException("an application is not reloaded in place in --model " + config.model()
                        + ": restart the server, or serve it with --model fork, whose reload replaces the workers");
            }
            engine.handler(Handlers.load(config.handler(), config.handlerClasspath(), config.root(),
                    config.httpLimits()));
            log.info("reload: handler {} loaded afresh; new connections use it", config.handler());
        } catch (Handlers.HandlerLoadException e) {
            throw new CommandException("handler not reloaded, the old one keeps serving: " + e.getMessage());
        }
    }

    @Override
    public Map<String, Object> counters() {
        return Json.object("open", engine.open(), "served", engine.served(), "max_connections", gate.max(),
                "gone_before_request", acceptLoop.goneBeforeData());
    }

    @Override
    public boolean stop(Duration grace) {
        // Drain first, then close: closing a listener resets every connection still queued on it.
        stopping = true;
        listeners.forEach(l -> io.handoff.unix.Sockets.stopAdmitting(l.channel()));
        engine.startDraining();
        listeners.forEach(l -> AcceptLoop.wake(l.channel()));
        for (Thread t : acceptors) {
            try {
                t.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        listeners.forEach(Listener::close);
        for (Thread t : acceptors) t.interrupt();
        try {
            return engine.shutdown(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

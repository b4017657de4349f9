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
import io.handoff.datagram.DatagramHandler;
import io.handoff.datagram.DatagramHandlers;
import io.handoff.datagram.DatagramService;
import io.handoff.handler.Handlers;
import io.handoff.listen.DatagramListener;
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
    private final Datagrams datagrams;
    /** Serves the datagram sockets, null when there are none. */
    private final DatagramService datagramService;

    /**
     * Where each model runs the datagram handler: threads on its bounded pool (--threads), virtual on a virtual
     * thread per datagram (at most --max-connections at once), events on its loop threads, which receive and call the
     * built-in handler inline (one per --event-loops per socket).
     */
    private static DatagramService datagramService(ServeConfig config, Datagrams datagrams) {
        List<DatagramService.Socket> sockets = new ArrayList<>();
        for (DatagramListener d : datagrams.listeners()) sockets.add(new DatagramService.Socket(d.port(), d.describe()));
        return switch (config.model()) {
            case threads -> new DatagramService(sockets, datagrams.handler(), DatagramService.Where.POOL, 1,
                    config.threads(), datagrams.maxBytes());
            case virtual -> new DatagramService(sockets, datagrams.handler(), DatagramService.Where.VIRTUAL, 1,
                    config.maxConnections(), datagrams.maxBytes());
            default -> new DatagramService(sockets, datagrams.handler(), DatagramService.Where.RECEIVER,
                    config.eventLoops(), 1, datagrams.maxBytes());
        };
    }

    InProcessModel(ServeConfig config, List<Listener> listeners, Engine engine) {
        this(config, listeners, engine, Datagrams.NONE);
    }

    InProcessModel(ServeConfig config, List<Listener> listeners, Engine engine, Datagrams datagrams) {
        this.config = config;
        this.listeners = listeners;
        this.engine = engine;
        this.datagrams = datagrams;
        this.datagramService = datagrams.any() ? datagramService(config, datagrams) : null;
        this.gate = new AcceptGate(config.maxConnections(), engine::open, "max=" + config.maxConnections());
        this.acceptLoop = new AcceptLoop(engine, gate, () -> stopping);
    }

    @Override
    public void start() {
        if (datagramService != null) datagramService.start();
        for (Listener l : listeners) {
            acceptors.add(Thread.ofPlatform().name("accept-" + l.describe())
                    .start(() -> acceptLoop.run(l.channel(), l.describe(), l.deferred())));
        }
    }

    @Override
    public boolean isReady() { return !acceptors.isEmpty() || datagramService != null; }

    @Override
    public void reload() throws CommandException {
        try {
            if (io.handoff.app.Apps.detect(config.handler(), config.handlerClasspath()).isPresent()) {
                throw new CommandException("an application is not reloaded in place in --model " + config.model()
                        + ": restart the server, or serve it with --model fork, whose reload replaces the workers");
            }
            io.handoff.handler.Handler fresh = null;
            if (DatagramHandlers.kinds(config.handler(), config.handlerClasspath())
                    .contains(DatagramHandlers.Kind.STREAM)) {
                fresh = Handlers.load(config.handler(), config.handlerClasspath(), config.root(), config.httpLimits());
            }
            DatagramHandler freshDatagrams = datagramService == null ? null
                    : DatagramHandlers.load(config.handler(), config.handlerClasspath(), fresh);
            if (fresh != null) engine.handler(fresh);
            if (freshDatagrams != null) datagramService.handler(freshDatagrams);
            log.info("reload: handler {} loaded afresh; new connections and datagrams use it", config.handler());
        } catch (Handlers.HandlerLoadException e) {
            throw new CommandException("handler not reloaded, the old one keeps serving: " + e.getMessage());
        }
    }

    @Override
    public Map<String, Object> counters() {
        Map<String, Object> c = Json.object("open", engine.open(), "served", engine.served(),
                "max_connections", gate.max(), "gone_before_request", acceptLoop.goneBeforeData());
        if (datagramService != null) c.put("datagrams", datagramCounters(datagramService));
        return c;
    }

    /** What ctl status says of a datagram service; fork workers report the same fields. */
    static Map<String, Object> datagramCounters(DatagramService d) {
        return Json.object("in", d.in(), "out", d.out(), "dropped", d.dropped(), "failed", d.failed(),
                "undelivered", d.undelivered());
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
            // Datagrams already queued in a socket are served before it closes (within the grace).
            boolean datagramsDone = true;
            if (datagramService != null) datagramsDone = datagramService.stop(grace);
            datagrams.listeners().forEach(DatagramListener::close);
            return engine.shutdown(grace) && datagramsDone;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

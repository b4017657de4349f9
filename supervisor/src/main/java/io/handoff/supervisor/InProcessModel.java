package io.handoff.supervisor;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.control.CommandRegistry.CommandException;
import io.handoff.control.Json;
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

    InProcessModel(ServeConfig config, List<Listener> listeners, Engine engine) {
        this.config = config;
        this.listeners = listeners;
        this.engine = engine;
    }

    @Override
    public void start() {
        for (Listener l : listeners) {
            acceptors.add(Thread.ofPlatform().name("accept-" + l.describe()).start(() -> acceptLoop(l)));
        }
    }

    @Override
    public boolean isReady() { return !acceptors.isEmpty(); }

    private void acceptLoop(Listener listener) {
        while (listener.channel().isOpen()) {
            try {
                engine.awaitSlot();
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel ch;
            try {
                ch = listener.channel().accept();
            } catch (ClosedChannelException e) {
                engine.releaseSlot();
                return;
            } catch (IOException e) {
                engine.releaseSlot();
                // EMFILE and the like: back off a little instead of spinning on a listener we cannot serve.
                log.warn("accept failed on {} error={}", listener.describe(), e.toString());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            engine.serve(ch);
        }
    }

    @Override
    public void reload() throws CommandException {
        try {
            engine.handler(Handlers.load(config.handler(), config.handlerClasspath(), config.root()));
            log.info("reload: handler {} loaded afresh; new connections use it", config.handler());
        } catch (Handlers.HandlerLoadException e) {
            throw new CommandException("handler not reloaded, the old one keeps serving: " + e.getMessage());
        }
    }

    @Override
    public Map<String, Object> counters() { return Json.object("open", engine.open(), "served", engine.served()); }

    @Override
    public boolean stop(Duration grace) {
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

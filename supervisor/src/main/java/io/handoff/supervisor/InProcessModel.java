package io.handoff.supervisor;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.Engine;
import io.handoff.listen.Listener;

/** The threads and virtual models: one acceptor thread per listener feeds an engine in this process. */
final class InProcessModel implements ServingModel {
    private static final Logger log = LoggerFactory.getLogger(InProcessModel.class);

    private final List<Listener> listeners;
    private final Engine engine;
    private final List<Thread> acceptors = new ArrayList<>();

    InProcessModel(List<Listener> listeners, Engine engine) {
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

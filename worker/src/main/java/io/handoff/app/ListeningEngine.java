package io.handoff.app;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.util.List;

import io.handoff.engine.Engine;

/**
 * An application engine that accepts on listening sockets itself, through its framework's own acceptor (Jetty's
 * {@code ServerConnector.open(ServerSocketChannel)}): how a {@code --dispatch shared} worker serves an application.
 */
public interface ListeningEngine extends Engine {
    /**
     * Starts accepting on {@code listeners} (blocking mode: a blocked accept per listener, so that one connection
     * wakes one process), at most {@code maxConnections} held at once. Owns the channels from here.
     */
    void listen(List<ServerSocketChannel> listeners, int maxConnections) throws IOException;

    /** Stops accepting: closes this process's copies of the listening sockets; the others keep their backlog. */
    void stopListening();
}

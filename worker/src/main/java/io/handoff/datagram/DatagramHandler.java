package io.handoff.datagram;

/**
 * Serves datagram services (UDP, Unix datagram sockets): one call per datagram received, with its payload and its
 * sender, and {@link Datagram#reply} to answer. Beside {@link io.handoff.handler.Handler}, which serves connections;
 * a class may implement both and then serves both kinds of {@code --bind}.
 *
 * <p>One object serves every datagram of a process, from several threads at once, so it must be thread-safe; it runs
 * unchanged in every model. A datagram handler should answer quickly: in {@code --model fork} and {@code events} it
 * runs on the thread that receives, so while it waits, datagrams queue in the socket (and beyond its buffer the
 * kernel drops them). An exception is logged and counted, and the next datagram is served.
 *
 * <p>A user handler is a public class with a public no-argument constructor, loaded from {@code --handler-classpath}.
 */
@FunctionalInterface
public interface DatagramHandler {
    void handle(Datagram datagram) throws Exception;
}

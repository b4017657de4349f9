package io.handoff.handler;

/**
 * Serves one client connection with blocking-style code. One handler object serves every connection of a process,
 * concurrently, so it must be thread-safe; it runs unchanged in every model (worker process, pool thread, virtual
 * thread). The connection is closed by the caller when {@link #handle} returns or throws.
 *
 * <p>A user handler is a public class with a public no-argument constructor, loaded from
 * {@code --handler-classpath}.
 */
@FunctionalInterface
public interface Handler {
    void handle(Connection connection) throws Exception;
}

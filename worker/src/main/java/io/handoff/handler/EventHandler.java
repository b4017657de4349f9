package io.handoff.handler;

import java.io.IOException;

/**
 * The non-blocking form of a {@link Handler}, for the event-loop model ({@code --model events}), where one thread
 * serves thousands of connections and so no handler code may ever wait. The built-in handlers implement both; the
 * command line runs only those on the event loop (a user handler is blocking code and needs a model with threads).
 *
 * <p>One object serves every connection of the process, from several loop threads at once, so it must be
 * thread-safe; per-connection state lives in the {@link EventSession} that {@link #open} returns.
 */
public interface EventHandler {
    /**
     * A connection was accepted. The handler may write (a greeting) and close at once; it returns the session that
     * gets the connection's events, which may be one shared object when the protocol keeps no state.
     */
    EventSession open(EventConnection connection) throws IOException;
}

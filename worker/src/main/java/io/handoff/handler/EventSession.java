package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One connection's protocol state machine on an event loop. Every method runs on the connection's loop thread, one
 * at a time, and must return without waiting for anything: no blocking I/O, no locks held by other threads, no sleep.
 * An exception closes the connection (an {@link IOException} quietly, anything else with a warning).
 */
@FunctionalInterface
public interface EventSession {
    /**
     * Bytes arrived: {@code input}'s remaining bytes. The buffer is the loop's and is reused for the next connection
     * as soon as this returns, so take (copy or write) everything needed now; what is left in it is dropped.
     */
    void read(EventConnection connection, ByteBuffer input) throws IOException;

    /**
     * Everything written before has left after the socket had been full (see {@link EventConnection#write}), so the
     * session can go on with what it held back. Reading resumes once this returns with nothing pending.
     */
    default void drained(EventConnection connection) throws IOException {}

    /** The client shut its sending side; nothing more will be read. By default: close once the output is out. */
    default void endOfInput(EventConnection connection) throws IOException { connection.close(); }

    /**
     * The connection waited for input longer than the server's timeouts allow: the idle timeout, or the read timeout
     * of a request in progress ({@link EventConnection#beginRequest()}). By default: close. A protocol may answer
     * first (HTTP: 408 in the middle of a request), then it must close.
     */
    default void timedOut(EventConnection connection) throws IOException { connection.close(); }

    /** The connection is closed, by either side or at the stop deadline; release what the session holds. */
    default void closed(EventConnection connection) {}
}

package io.handoff.app;

import io.handoff.engine.Engine;

/**
 * Implemented by each framework adapter (Jetty, Netty) in the apps jar and found by name, so that a process serving a
 * built-in or a {@code Handler} never loads a framework class.
 */
public interface AppEngineFactory {
    /**
     * Starts the application and returns the engine that serves connections with it; returns once the application is
     * ready (Jetty started, load-on-startup servlets initialised). Throws with a message fit for one log line.
     */
    Engine create(AppSpec spec, AppSettings settings) throws Exception;
}

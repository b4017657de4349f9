package io.handoff.app.jetty;

import io.handoff.app.AppEngineFactory;
import io.handoff.app.AppSettings;
import io.handoff.app.AppSpec;
import io.handoff.engine.Engine;

/** Servlets and WARs on embedded Jetty; found by name from {@code io.handoff.app.Apps}. */
public final class JettyApps implements AppEngineFactory {
    @Override
    public Engine create(AppSpec spec, AppSettings settings) throws Exception {
        return JettyEngine.start(spec, settings);
    }
}

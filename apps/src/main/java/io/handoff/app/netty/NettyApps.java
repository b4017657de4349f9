package io.handoff.app.netty;

import io.handoff.app.AppEngineFactory;
import io.handoff.app.AppSettings;
import io.handoff.app.AppSpec;
import io.handoff.engine.Engine;

/** Netty pipelines; found by name from {@code io.handoff.app.Apps}. */
public final class NettyApps implements AppEngineFactory {
    @Override
    public Engine create(AppSpec spec, AppSettings settings) throws Exception {
        return NettyEngine.start(spec, settings);
    }
}

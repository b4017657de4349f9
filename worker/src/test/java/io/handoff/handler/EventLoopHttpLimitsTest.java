package io.handoff.handler;

import io.handoff.engine.Engine;
import io.handoff.engine.EventLoopEngine;

/** Every limit and timeout again, on the event loop's state machine and its own deadline checks. */
class EventLoopHttpLimitsTest extends HttpLimitsTest {
    @Override
    Engine engine(HttpHandler handler, Timeouts timeouts) { return new EventLoopEngine(handler, 2, timeouts); }
}

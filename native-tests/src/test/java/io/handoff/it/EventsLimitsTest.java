package io.handoff.it;

import java.util.List;

/** The event loops enforce the same timeouts and limits with their own deadline checks. */
class EventsLimitsTest extends LimitsTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "events", "--event-loops", "2"); }

    @Override
    boolean runsUserHandlers() { return false; }
}

package io.handoff.it;

import java.util.List;

/** Timeouts and limits reach the worker processes (over their command line) and hold there. */
class ForkLimitsTest extends LimitsTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "1"); }
}

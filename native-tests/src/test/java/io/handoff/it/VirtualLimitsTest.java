package io.handoff.it;

import java.util.List;

class VirtualLimitsTest extends LimitsTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "virtual"); }
}

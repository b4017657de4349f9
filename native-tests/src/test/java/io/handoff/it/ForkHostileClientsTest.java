package io.handoff.it;

import java.util.List;

class ForkHostileClientsTest extends HostileClientsTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2"); }
}

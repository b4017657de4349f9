package io.handoff.it;

import java.util.List;

class VirtualHostileClientsTest extends HostileClientsTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "virtual"); }
}

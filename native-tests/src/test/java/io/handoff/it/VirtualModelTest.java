package io.handoff.it;

import java.util.List;

class VirtualModelTest extends ModelContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "virtual"); }
}

package io.handoff.it;

import java.util.List;

/** Servlet apps in fork workers that accept on the shared listening sockets themselves. */
class ServletSharedDispatchTest extends ServletAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2", "--dispatch", "shared"); }
}

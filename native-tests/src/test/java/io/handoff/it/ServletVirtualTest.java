package io.handoff.it;

import java.util.List;

/** Servlet apps on Jetty in the supervisor, each request on a virtual thread. */
class ServletVirtualTest extends ServletAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "virtual"); }
}

package io.handoff.it;

import java.util.List;

/** Servlet apps on Jetty in the supervisor, requests on a pool of --threads platform threads. */
class ServletThreadsTest extends ServletAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "threads", "--threads", "32"); }
}

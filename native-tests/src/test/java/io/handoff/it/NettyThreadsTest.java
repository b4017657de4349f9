package io.handoff.it;

import java.util.List;

/** Netty pipelines on event loops in the supervisor (--model threads). */
class NettyThreadsTest extends NettyAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "threads"); }
}

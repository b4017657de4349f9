package io.handoff.it;

import java.util.List;

/** Netty pipelines in fork workers that accept on the shared listening sockets themselves. */
class NettySharedDispatchTest extends NettyAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2", "--dispatch", "shared"); }
}

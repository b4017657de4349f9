package io.handoff.it;

import java.util.List;

/** Netty pipelines in fork workers: each handed-off fd becomes a NioSocketChannel on the worker's loop. */
class NettyForkTest extends NettyAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2"); }
}

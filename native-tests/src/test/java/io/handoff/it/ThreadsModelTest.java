package io.handoff.it;

import java.util.List;

/** The bounded platform-thread pool; 64 threads, so the 500-client echo test also exercises the backlog wait. */
class ThreadsModelTest extends ModelContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "threads", "--threads", "64"); }
}

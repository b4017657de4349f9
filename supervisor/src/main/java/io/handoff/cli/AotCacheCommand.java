package io.handoff.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.handoff.process.WorkerCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code handoff aot-cache FILE} (hidden; the launcher runs it after a build): writes the AOT cache that lets a
 * worker JVM start in a fraction of the time, by running one worker in training mode with exactly the flags and
 * classpath real workers get. Needs JDK 24+; on older JDKs it says so and does nothing.
 */
@Command(name = "aot-cache", hidden = true, description = "Build the worker AOT cache (JDK 24+).")
final class AotCacheCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (Runtime.version().feature() < 24) {
            System.err.println("handoff: no worker AOT cache: JDK " + Runtime.version().feature() + " has none (24+)");
            return 0;
        }
        Path tmp = output.resolveSibling(output.getFileName() + ".tmp");
        Process p = new ProcessBuilder(WorkerCommand.aotTraining(tmp)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            System.err.println("handoff: worker AOT training did not finish; workers start without the cache");
            return 1;
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
            System.err.println("handoff: worker AOT training failed (status " + p.exitValue() + "); workers start "
                    + "without the cache");
            Files.deleteIfExists(tmp);
            return 1;
        }
        Files.move(tmp, output, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return 0;
    }
}

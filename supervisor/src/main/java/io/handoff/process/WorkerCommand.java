package io.handoff.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a worker JVM: the same JDK and classpath as the supervisor, small-footprint flags. */
public final class WorkerCommand {
    /**
     * Small-footprint flags (jvm-flags/worker.txt: an idle worker near 70 MB RSS). Extra flags come from
     * HANDOFF_WORKER_OPTS.
     */
    static final List<String> JVM_FLAGS = JvmFlags.of("worker");

    private WorkerCommand() {}

    /** java, the worker flags, extra flags from HANDOFF_WORKER_OPTS, and our classpath: everything but the main. */
    static List<String> jvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        String extra = System.getenv("HANDOFF_WORKER_OPTS");
        if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        String level = System.getProperty("handoff.log.level");
        if (level != null) cmd.add("-Dhandoff.log.level=" + level);
        String apps = System.getProperty(io.handoff.app.Apps.APPS_PROPERTY);
        if (apps != null) cmd.add("-D" + io.handoff.app.Apps.APPS_PROPERTY + "=" + apps);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    /**
     * The command that writes a worker AOT cache to {@code output}: a worker JVM with exactly the flags and classpath
     * real workers get, in training mode (see WorkerMain --train).
     */
    public static List<String> aotTraining(Path output) {
        List<String> cmd = jvm();
        cmd.add(1, "-XX:AOTCacheOutput=" + output.toAbsolutePath());
        cmd.add("-Dhandoff.process=worker-training");
        cmd.add("io.handoff.worker.WorkerMain");
        cmd.add("--train");
        return cmd;
    }

    /** Where the launcher keeps the worker AOT cache (JDK 24+), when it has built one. */
    static final String AOT_PROPERTY = "handoff.worker.aot";

    static List<String> build(int id, Path linkPath, String handler, Path handlerClasspath, Path root, Path logFile,
            int maxConnections) {
        List<String> cmd = jvm();
        String aot = System.getProperty(AOT_PROPERTY);
        if (aot != null && Runtime.version().feature() >= 24 && java.nio.file.Files.isRegularFile(Path.of(aot))) {
            cmd.add("-XX:AOTCache=" + aot);
        }
        cmd.add("-Dhandoff.process=worker-" + id);
        if (logFile != null) cmd.add("-Dhandoff.log.file=" + logFile.toAbsolutePath());
        cmd.add("io.handoff.worker.WorkerMain");
        cmd.add("--link");
        cmd.add(linkPath.toString());
        cmd.add("--handler");
        cmd.add(handler);
        if (handlerClasspath != null) {
            cmd.add("--handler-classpath");
            cmd.add(handlerClasspath.toAbsolutePath().toString());
        }
        if (root != null) {
            cmd.add("--root");
            cmd.add(root.toAbsolutePath().toString());
        }
        cmd.add("--max-connections");
        cmd.add(Integer.toString(maxConnections));
        return cmd;
    }

    /** The worker argument that makes it expect datagram sockets (none when {@code maxBytes} is 0). */
    static List<String> datagrams(int maxBytes) {
        return maxBytes <= 0 ? List.of() : List.of("--max-datagram-bytes", Integer.toString(maxBytes));
    }

    /** The worker arguments for the timeouts and HTTP limits, appended to {@link #build}'s. */
    static List<String> limits(io.handoff.handler.Timeouts timeouts, io.handoff.handler.HttpLimits http) {
        return List.of(
                // Milliseconds: serve takes sub-second timeouts (500ms), which seconds would round to 0, "never".
                "--idle-timeout-ms", Long.toString(timeouts.idle().toMillis()),
                "--read-timeout-ms", Long.toString(timeouts.read().toMillis()),
                "--max-header-bytes", Integer.toString(http.maxHeaderBytes()),
                "--max-body-bytes", Long.toString(http.maxBodyBytes()));
    }
}

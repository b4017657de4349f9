package io.handoff.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a worker JVM: the same JDK and classpath as the supervisor, small-footprint flags. */
final class WorkerCommand {
    /**
     * Small-footprint flags: the serial collector and a capped heap keep an idle worker near 70 MB RSS; no perf
     * data file in /tmp per worker. Extra flags come from HANDOFF_WORKER_OPTS.
     */
    static final List<String> JVM_FLAGS = List.of(
            "-XX:+UseSerialGC", "-Xms16m", "-Xmx256m", "-Xss512k",
            "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m", "-XX:-UsePerfData",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED");

    private WorkerCommand() {}

    static List<String> build(int id, Path linkPath, String handler, Path handlerClasspath, Path root, Path logFile) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        // jnr's native memory access goes through sun.misc.Unsafe; JDK 24+ warns on it unless told otherwise.
        if (Runtime.version().feature() >= 23) cmd.add("--sun-misc-unsafe-memory-access=allow");
        String extra = System.getenv("HANDOFF_WORKER_OPTS");
        if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        cmd.add("-Dhandoff.process=worker-" + id);
        if (logFile != null) cmd.add("-Dhandoff.log.file=" + logFile.toAbsolutePath());
        String level = System.getProperty("handoff.log.level");
        if (level != null) cmd.add("-Dhandoff.log.level=" + level);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
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
        return cmd;
    }
}

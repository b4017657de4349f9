package io.handoff.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM command that runs the handoff CLI the way scripts/handoff does: this JDK and classpath, the same flags, and
 * the worker AOT cache when this process knows one. For code that starts another supervisor (bench, the tests).
 */
public final class SupervisorCommand {
    private SupervisorCommand() {}

    /** Everything up to and including the main class; append the CLI arguments. */
    public static List<String> java() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx512m", "-XX:-UsePerfData",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.base/java.io=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) cmd.add("--sun-misc-unsafe-memory-access=allow");
        String aot = System.getProperty(WorkerCommand.AOT_PROPERTY);
        if (aot != null) cmd.add("-D" + WorkerCommand.AOT_PROPERTY + "=" + aot);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.handoff.cli.Main");
        return cmd;
    }
}

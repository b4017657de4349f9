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
        cmd.addAll(JvmFlags.of("supervisor"));
        String aot = System.getProperty(WorkerCommand.AOT_PROPERTY);
        if (aot != null) cmd.add("-D" + WorkerCommand.AOT_PROPERTY + "=" + aot);
        String apps = System.getProperty(io.handoff.app.Apps.APPS_PROPERTY);
        if (apps != null) cmd.add("-D" + io.handoff.app.Apps.APPS_PROPERTY + "=" + apps);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.handoff.cli.Main");
        return cmd;
    }
}

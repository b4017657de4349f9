package io.handoff.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class JvmFlagsTest {
    @Test
    void splitsOnWhitespaceDropsCommentsAndHonoursTheJdkGuard() {
        String text = "# header\n\n-Xa -Xb  # trailing\n  --opt value\n23+ -Xnew\n100+ -Xfuture\n";
        assertEquals(List.of("-Xa", "-Xb", "--opt", "value"), JvmFlags.parse(text, 21));
        assertEquals(List.of("-Xa", "-Xb", "--opt", "value", "-Xnew"), JvmFlags.parse(text, 23));
    }

    /** The flags as they were written out in the code before they moved to the files: a changed one is deliberate. */
    @Test
    void theFilesHoldTheFlagsTheProcessesHaveAlwaysHad() {
        List<String> unsafe = Runtime.version().feature() >= 23
                ? List.of("--sun-misc-unsafe-memory-access=allow") : List.of();
        List<String> supervisor = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx512m",
                "-XX:-UsePerfData", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens",
                "java.base/java.io=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        supervisor.addAll(unsafe);
        assertEquals(supervisor, JvmFlags.of("supervisor"));
        List<String> worker = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx256m", "-Xss512k",
                "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m", "-XX:-UsePerfData",
                "-Djnr.ffi.asm.enabled=false", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens",
                "java.base/java.io=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        worker.addAll(unsafe);
        assertEquals(worker, JvmFlags.of("worker"));
        assertEquals(worker, WorkerCommand.jvm().subList(1, 1 + worker.size()));
    }
}

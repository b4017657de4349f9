package io.handoff.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the figures were measured on; the same run on another machine is a different experiment. */
record MachineInfo(int cores, String cpuModel, Long memoryMb, String os, String kernel, String arch, String jdk,
        String javaHome, long clockTicksPerSecond) {
    static MachineInfo current(long clockTicks) {
        String kernel = firstLine(Path.of("/proc/sys/kernel/osrelease"));
        return new MachineInfo(Runtime.getRuntime().availableProcessors(), readCpuModel(), readMemoryMb(),
                System.getProperty("os.name"), kernel != null ? kernel : System.getProperty("os.version"),
                System.getProperty("os.arch"),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.name") + " "
                        + System.getProperty("java.runtime.version"),
                System.getProperty("java.home"), clockTicks);
    }

    private static String readCpuModel() {
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
        }
        return null;
    }

    private static Long readMemoryMb() {
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                try {
                    return Long.parseLong(line.substring(9).trim().split("\\s+")[0]) / 1024;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static String firstLine(Path p) {
        List<String> l = lines(p);
        return l.isEmpty() ? null : l.get(0).trim();
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}

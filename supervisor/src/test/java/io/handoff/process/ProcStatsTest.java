package io.handoff.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ProcStatsTest {
    @Test
    void readsThisProcessAndSaysMinusOneForGoneProcessesAndMissingFields() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc");
        long self = ProcessHandle.current().pid();
        long rss = ProcStats.rssKb(self);
        assertTrue(rss > 1000, "a JVM is resident in more than 1 MB, got " + rss);
        assertTrue(ProcStats.statusKb(self, "VmHWM") >= rss / 2);
        assertEquals(-1, ProcStats.rssKb(Long.MAX_VALUE));
        assertEquals(-1, ProcStats.statusKb(self, "NoSuchField"));
    }
}

package io.handoff.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class FdLimitTest {
    @Test
    void raiseLiftsTheSoftLimitToTheHardOneAndReadsWhatTheKernelSays() throws Exception {
        FdLimit raised = FdLimit.raise();
        assertEquals(raised.hard(), raised.soft());
        assertEquals(raised, FdLimit.current());
        // The same figures as /proc/self/limits: "Max open files  SOFT  HARD  files".
        String row = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        String[] f = row.substring("Max open files".length()).trim().split("\\s+");
        assertEquals(f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]), raised.soft());
        assertTrue(raised.soft() > 0);
    }
}

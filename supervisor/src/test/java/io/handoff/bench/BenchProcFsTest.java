package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class BenchProcFsTest {
    @Test
    void cpuTicksAreFields14And15EvenWithSpacesAndParenthesesInTheName() {
        String stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 123 45 0 0 20 0 9 0 100 0 0";
        assertEquals(168, ProcFs.parseCpuTicks(stat));
    }

    @Test
    void listeningInodesComeFromListenRowsOnThePort() {
        List<String> table = List.of(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: 0100007F:2329 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1",
                "   1: 0100007F:2329 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1",
                "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1");
        assertEquals(Set.of(111L), ProcFs.listeningInodes(table, 9001));
        assertEquals(Set.of(333L), ProcFs.listeningInodes(table, 8080));
        assertEquals(Set.of(), ProcFs.listeningInodes(table, 50000));
    }

    @Test
    void findsThisProcessListeningAndMeasuresIt() throws Exception {
        assumeTrue(ProcFs.available(), "needs Linux /proc");
        long self = ProcessHandle.current().pid();
        assertTrue(ProcFs.cpuTicks(self) > 0);
        assertTrue(ProcFs.statusKb(self, "VmRSS") > 1000);
        assertTrue(ProcFs.statusKb(self, "VmHWM") >= ProcFs.statusKb(self, "VmRSS") / 2);
        assertTrue(ProcFs.tree(self).contains(self));
        assertEquals(-1, ProcFs.cpuTicks(Long.MAX_VALUE));
        assertTrue(ProcFs.clockTicksPerSecond() > 0);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // bench never counts itself as the server it measures, so its own listening socket finds nobody.
            assertEquals(Set.of(), ProcFs.pidsListeningOn(s.getLocalPort()));
        }
    }
}

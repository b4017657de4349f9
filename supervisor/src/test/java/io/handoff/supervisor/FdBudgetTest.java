package io.handoff.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.handoff.supervisor.ServeConfig.Dispatch;
import io.handoff.supervisor.ServeConfig.Model;

class FdBudgetTest {
    private static final long UNLIMITED = Long.MAX_VALUE;

    @Test
    void defaultsStandWhenTheLimitHoldsThem() {
        FdBudget.Plan p = FdBudget.plan(Model.fork, Dispatch.LEAST_LOADED, 3, 1, null, null, 1_048_576);
        assertEquals(10_000, p.maxConnections());
        assertEquals(3334, p.workerConnections(), "max spread over the workers, rounded up");
        assertTrue(p.warnings().isEmpty() && p.notes().isEmpty(), p.toString());
        FdBudget.Plan v = FdBudget.plan(Model.virtual, Dispatch.LEAST_LOADED, 1, 1, null, null, UNLIMITED);
        assertEquals(10_000, v.maxConnections());
    }

    @Test
    void aDefaultIsLoweredToFitWithANote() {
        FdBudget.Plan v = FdBudget.plan(Model.virtual, Dispatch.LEAST_LOADED, 1, 2, null, null, 1024);
        assertEquals(1024 - FdBudget.RESERVE - 2, v.maxConnections());
        assertTrue(v.warnings().isEmpty(), v.toString());
        assertTrue(v.notes().get(0).contains("--max-connections defaults to 958 to fit the fd limit 1024"), v.toString());
        FdBudget.Plan f = FdBudget.plan(Model.fork, Dispatch.LEAST_LOADED, 2, 1, null, null, 1024);
        assertEquals(10_000, f.maxConnections());
        assertEquals(960, f.workerConnections());
        FdBudget.Plan shared = FdBudget.plan(Model.fork, Dispatch.SHARED, 2, 3, null, null, 1024);
        assertEquals(957, shared.workerConnections(), "a shared-dispatch worker also holds the listeners");
    }

    @Test
    void aConfiguredLimitIsKeptWithOneClearWarning() {
        FdBudget.Plan v = FdBudget.plan(Model.threads, Dispatch.LEAST_LOADED, 1, 1, 10_000, null, 1024);
        assertEquals(10_000, v.maxConnections());
        assertEquals(1, v.warnings().size());
        assertEquals("fd limit 1024 is below what --max-connections 10000 needs (~10065); raise ulimit -n or lower "
                + "--max-connections", v.warnings().get(0));
        FdBudget.Plan w = FdBudget.plan(Model.fork, Dispatch.LEAST_LOADED, 2, 1, null, 5000, 1024);
        assertEquals(5000, w.workerConnections());
        assertTrue(w.warnings().get(0).contains("--worker-connections 5000 needs in each worker (~5064)"), w.toString());
        FdBudget.Plan m = FdBudget.plan(Model.fork, Dispatch.LEAST_LOADED, 2, 1, 4000, null, 1024);
        assertEquals(2000, m.workerConnections());
        assertTrue(m.warnings().get(0).contains("--max-connections 4000 over 2 workers"), m.toString());
    }

    @Test
    void aLimitWithNoRoomAtAllLeavesOneConnectionAndSaysSo() {
        FdBudget.Plan p = FdBudget.plan(Model.virtual, Dispatch.LEAST_LOADED, 1, 1, null, null, 50);
        assertEquals(1, p.maxConnections());
        assertTrue(p.warnings().get(0).contains("fd limit 50 leaves no room for connections"), p.toString());
    }
}

package io.handoff.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.handoff.unix.UnixLink;

class AdmissionTest {
    private static Admission admission(int maxConnections, int workerConnections, int maxPending) {
        return new Admission(new HandoffLoop.Limits(maxConnections, workerConnections, maxPending));
    }

    @Test
    void roomIsTheReadyWorkersFreeSlotsWithinMaxConnectionsAndThePendingLimit() {
        FakeTarget[] ready = {new FakeTarget(3), new FakeTarget(6)};
        List<FakeTarget> all = List.of(ready);
        // 7 + 4 free slots.
        assertEquals(11, admission(100, 10, 50).room(ready, all, 0));
        // 9 open of at most 12.
        assertEquals(3, admission(12, 10, 50).room(ready, all, 0));
        assertEquals(2, admission(100, 10, 2).room(ready, all, 0));
    }

    @Test
    void aWorkerAboveItsLimitGivesNoRoomAndTakesNoneFromTheOthers() {
        FakeTarget[] ready = {new FakeTarget(14), new FakeTarget(8)};
        assertEquals(2, admission(100, 10, 50).room(ready, List.of(ready), 0));
        FakeTarget[] over = {new FakeTarget(14)};
        assertEquals(0, admission(100, 10, 50).room(over, List.of(over), 0));
    }

    @Test
    void drainingWorkersCountAgainstMaxConnectionsButGiveNoRoom() {
        FakeTarget[] ready = {new FakeTarget(0)};
        List<FakeTarget> all = List.of(ready[0], new FakeTarget(50));
        assertEquals(10, admission(100, 10, 50).room(ready, all, 0));
        assertEquals(5, admission(55, 10, 50).room(ready, all, 0));
    }

    @Test
    void pendingConnectionsCountAgainstEveryLimit() {
        FakeTarget[] ready = {new FakeTarget(3), new FakeTarget(6)};
        List<FakeTarget> all = List.of(ready);
        assertEquals(6, admission(100, 10, 50).room(ready, all, 5));
        // 9 open + 5 pending of at most 16.
        assertEquals(2, admission(16, 10, 50).room(ready, all, 5));
        assertEquals(3, admission(100, 10, 8).room(ready, all, 5));
        assertEquals(0, admission(100, 10, 50).room(ready, all, 20));
        assertEquals(14, Admission.open(all, 5));
    }

    @Test
    void aStalledWorkerGivesNoRoomAndIsNeverPicked() {
        FakeTarget[] ready = {new FakeTarget(0).stalled(), new FakeTarget(4), new FakeTarget(12).stalled()};
        Admission a = admission(100, 10, 50);
        assertEquals(6, a.room(ready, List.of(ready), 0));
        assertArrayEquals(new int[] {10, 4, 12}, a.loads(ready));
        FakeTarget[] allStalled = {new FakeTarget(0).stalled()};
        assertEquals(0, a.room(allStalled, List.of(allStalled), 0));
        assertEquals(-1, new LeastLoaded().pick(a.loads(allStalled), 10));
    }

    @Test
    void thePendingLimitFitsHalfTheSpareFdsWithinFourBatches() {
        assertEquals(500, HandoffLoop.Limits.of(100, 10, 1000).maxPending());
        assertEquals(4 * UnixLink.MAX_FDS, HandoffLoop.Limits.of(100, 10, Long.MAX_VALUE).maxPending());
        assertEquals(16, HandoffLoop.Limits.of(100, 10, 10).maxPending());
    }

    @Test
    void unacknowledgedHandoffsOrAStallKeepTheLoopWatching() {
        FakeTarget idle = new FakeTarget(3);
        assertFalse(Admission.watching(new HandoffTarget[] {idle}));
        FakeTarget waiting = new FakeTarget(3);
        waiting.inFlight = 1;
        assertTrue(Admission.watching(new HandoffTarget[] {idle, waiting}));
        assertTrue(Admission.watching(new HandoffTarget[] {new FakeTarget(0).stalled()}));
    }
}

package io.handoff.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.handoff.protocol.Message.Family;
import io.handoff.unix.UnixLink;

class HandoverTest {
    private static final int CAPACITY = 10_000;

    /** Connections numbered 0..count-1 by their peer bytes; the fd is never touched by batching. */
    private static ArrayDeque<Pending> pending(int count) {
        ArrayDeque<Pending> q = new ArrayDeque<>();
        for (int i = 0; i < count; i++) q.add(new Pending(null, Family.INET, new byte[] {(byte) (i >> 8), (byte) i}));
        return q;
    }

    private static int number(Pending p) { return (p.peer()[0] & 0xff) << 8 | (p.peer()[1] & 0xff); }

    private static List<Integer> numbers(Iterable<Pending> ps) {
        List<Integer> out = new ArrayList<>();
        for (Pending p : ps) out.add(number(p));
        return out;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) out.add(i);
        return out;
    }

    @Test
    void spreadsByLoadAndCountsWhatItAssigned() {
        FakeTarget a = new FakeTarget(0);
        FakeTarget b = new FakeTarget(2);
        ArrayDeque<Pending> q = pending(6);
        int[] load = {0, 2};
        new Handover(new LeastLoaded(), CAPACITY).send(q, new HandoffTarget[] {a, b}, load);
        assertTrue(q.isEmpty());
        assertEquals(1, a.sent.size());
        assertEquals(1, b.sent.size());
        assertEquals(4, a.sent.get(0).size());
        assertEquals(2, b.sent.get(0).size());
        assertEquals(4, load[0]);
        assertEquals(4, load[1]);
    }

    @Test
    void moreThan253ForOneWorkerGoInSeveralMessagesInOrder() {
        FakeTarget open = new FakeTarget(0);
        FakeTarget full = new FakeTarget(CAPACITY);
        ArrayDeque<Pending> q = pending(600);
        new Handover(new LeastLoaded(), CAPACITY).send(q, new HandoffTarget[] {open, full}, new int[] {0, CAPACITY});
        // A round takes at most one message's worth per ready worker; the full one's share went to the other.
        assertEquals(2, open.sent.size());
        assertEquals(range(0, UnixLink.MAX_FDS), numbers(open.sent.get(0)));
        assertEquals(range(UnixLink.MAX_FDS, 2 * UnixLink.MAX_FDS), numbers(open.sent.get(1)));
        assertTrue(full.sent.isEmpty());
        assertEquals(range(2 * UnixLink.MAX_FDS, 600), numbers(q));
    }

    @Test
    void whatASendCouldNotTakeGoesBackToTheFrontInOrder() {
        FakeTarget flaky = new FakeTarget(0);
        flaky.sendsThatSucceed = 1;
        FakeTarget full = new FakeTarget(CAPACITY);
        ArrayDeque<Pending> q = pending(600);
        new Handover(new LeastLoaded(), CAPACITY).send(q, new HandoffTarget[] {flaky, full}, new int[] {0, CAPACITY});
        assertEquals(1, flaky.sent.size());
        assertEquals(range(0, UnixLink.MAX_FDS), numbers(flaky.sent.get(0)));
        assertEquals(range(UnixLink.MAX_FDS, 600), numbers(q));
    }

    @Test
    void aWorkerThatTakesNothingLeavesTheQueueAsItWas() {
        FakeTarget gone = new FakeTarget(0);
        gone.sendsThatSucceed = 0;
        ArrayDeque<Pending> q = pending(20);
        new Handover(new RoundRobin(), CAPACITY).send(q, new HandoffTarget[] {gone}, new int[] {0});
        assertEquals(range(0, 20), numbers(q));
    }

    @Test
    void whenEveryWorkerIsFullTheRestWait() {
        FakeTarget a = new FakeTarget(8);
        ArrayDeque<Pending> q = pending(5);
        new Handover(new LeastLoaded(), 10).send(q, new HandoffTarget[] {a}, new int[] {8});
        assertEquals(List.of(range(0, 2)), a.sent.stream().map(HandoverTest::numbers).toList());
        assertEquals(range(2, 5), numbers(q));
    }
}

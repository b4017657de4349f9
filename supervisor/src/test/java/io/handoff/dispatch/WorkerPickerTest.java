package io.handoff.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class WorkerPickerTest {
    @Test
    void leastLoadedPicksTheEmptiestAndNeverAFullWorker() {
        LeastLoaded b = new LeastLoaded();
        assertEquals(1, b.pick(new int[] {5, 2, 4}, 10));
        assertEquals(2, b.pick(new int[] {10, 10, 9}, 10));
        assertEquals(-1, b.pick(new int[] {10, 11, 10}, 10));
    }

    @Test
    void leastLoadedSharesTies() {
        LeastLoaded b = new LeastLoaded();
        List<Integer> picks = new ArrayList<>();
        for (int i = 0; i < 4; i++) picks.add(b.pick(new int[] {3, 3}, 10));
        assertEquals(2, picks.stream().filter(p -> p == 0).count(), picks.toString());
    }

    @Test
    void roundRobinSkipsFullWorkersAndReportsWhenAllAre() {
        RoundRobin b = new RoundRobin();
        int[] load = {1, 7, 1};
        List<Integer> picks = new ArrayList<>();
        for (int i = 0; i < 4; i++) picks.add(b.pick(load, 7));
        assertEquals(List.of(0, 2, 0, 2), picks);
        assertEquals(-1, b.pick(new int[] {7, 7, 8}, 7));
    }
}

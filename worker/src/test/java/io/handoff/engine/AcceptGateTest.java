package io.handoff.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class AcceptGateTest {
    @Test
    void waitsAtCapacityAndGoesOnWhenAConnectionEnds() throws Exception {
        AtomicInteger open = new AtomicInteger();
        AcceptGate gate = new AcceptGate(2, open::get, "max=2");
        assertTrue(gate.acquire(() -> true));
        open.incrementAndGet(); // the engine took it
        gate.release();
        assertTrue(gate.acquire(() -> true)); // reserved, not yet counted by the engine: still counts
        AtomicBoolean third = new AtomicBoolean();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                third.set(gate.acquire(() -> true));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertFalse(t.join(Duration.ofMillis(200)), "a third connection was let in at capacity 2");
        gate.release(); // the second accept failed: its slot is free again
        assertTrue(t.join(Duration.ofSeconds(10)));
        assertTrue(third.get());
    }

    @Test
    void aWaitingAcceptorLeavesWhenItsListenerCloses() throws Exception {
        AcceptGate gate = new AcceptGate(1, () -> 1, "max=1");
        AtomicBoolean listening = new AtomicBoolean(true);
        AtomicBoolean got = new AtomicBoolean(true);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                got.set(gate.acquire(listening::get));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread.sleep(50);
        listening.set(false);
        assertTrue(t.join(Duration.ofSeconds(10)));
        assertFalse(got.get());
    }
}

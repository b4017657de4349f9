package io.handoff.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.handoff.supervisor.ServeConfig.Dispatch;

class DispatchFlagTest {
    @Test
    void eachModeParsesFromTheNameItIsShownBy() {
        assertEquals(List.of("least-loaded", "shared", "round-robin"),
                Arrays.stream(Dispatch.values()).map(Dispatch::flag).toList());
        for (Dispatch d : Dispatch.values()) assertEquals(d, Dispatch.parse(d.flag()));
    }

    @Test
    void handoffStillMeansLeastLoaded() {
        assertEquals(Dispatch.LEAST_LOADED, Dispatch.parse("handoff"));
    }

    @Test
    void anUnknownModeNamesTheValidOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Dispatch.parse("random"));
        assertTrue(e.getMessage().contains("least-loaded, shared, round-robin"), e.getMessage());
    }
}

package io.handoff.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({
        "10s, 10000",
        "10, 10000",
        "0, 0",
        "500ms, 500",
        "2m, 120000",
        "1m30s, 90000",
        "1.5s, 1500",
        "1h, 3600000",
        "0s, 0",
        "' 3s ', 3000",
    })
    void goodValues(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "s", "10x", "-1", "-1s", "1.s", "10 s", "s10", "1m30", "ten", "abc", "PT10S"})
    void badValuesSayWhatWasTypedAndShowTheSyntax(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().contains(Durations.SYNTAX), e.getMessage());
        if (!text.isBlank()) assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999", "99999999999999999999999", "99999999999999h", "60000000h1s"})
    void durationsTooLongForTheClockAreRefused(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertEquals("'" + text + "' is too long a duration", e.getMessage());
    }

    @Test
    void formatsDurationsTheWayTheyAreTyped() {
        assertEquals("10s", Durations.format(Duration.ofSeconds(10)));
        assertEquals("500ms", Durations.format(Duration.ofMillis(500)));
        assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }

    @Test
    void theConverterTurnsABadValueIntoPicocliOneLineError() {
        var c = new io.handoff.cli.DurationConverter();
        assertEquals(Duration.ofMillis(250), c.convert("250ms"));
        CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                () -> c.convert("abc"));
        assertTrue(e.getMessage().startsWith("'abc' is not a duration"), e.getMessage());
    }
}

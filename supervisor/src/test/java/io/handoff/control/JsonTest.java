package io.handoff.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
    @Test
    void anAnswerIsOneLineInTheOrderItWasBuilt() {
        Map<String, Object> answer = Json.object("ok", true, "command", "status", "pid", 42L, "rate", 1.5,
                "workers", List.of(Json.object("id", 1, "rss_mb", null)), "nan", Double.NaN);
        assertEquals("{\"ok\":true,\"command\":\"status\",\"pid\":42,\"rate\":1.5,"
                + "\"workers\":[{\"id\":1,\"rss_mb\":null}],\"nan\":null}", Json.write(answer));
    }

    @Test
    void stringsAreEscapedForJsonAndJavaScript() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\\u2028\\u2029µ\"", Json.write("a\"b\\c\nd\u0001\u2028\u2029µ"));
    }

    @Test
    void parsingGivesOrderedMapsListsAndLongsForWholeNumbers() {
        Object parsed = Json.parse(" {\"z\":1,\"a\":[2,3.5,null,true,\"s\\u00b5\"],\"big\":123456789012345678901,"
                + "\"o\":{}} ");
        Map<?, ?> m = assertInstanceOf(Map.class, parsed);
        assertEquals(List.of("z", "a", "big", "o"), new ArrayList<>(m.keySet()));
        assertEquals(1L, m.get("z"));
        assertEquals(Arrays.asList(2L, 3.5, null, true, "sµ"), m.get("a"));
        assertEquals(new BigInteger("123456789012345678901"), m.get("big"));
        assertEquals(Map.of(), m.get("o"));
    }

    @Test
    void whatIsWrittenParsesBackToTheSameValues() {
        Map<String, Object> answer = Json.object("ok", false, "error", "scale: 'x' is not a number",
                "nested", Json.object("list", List.of(1L, "two", List.of())));
        assertEquals(answer, Json.parse(Json.write(answer)));
        assertEquals(answer, Json.parse(Json.writePretty(answer)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"a\":}", "{\"a\":1} x", "{\"a\":1}{}", "[1,]", "nul", "'a'"})
    void badDocumentsAreRefusedWithIllegalArgument(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().startsWith("bad JSON"), e.getMessage());
    }
}

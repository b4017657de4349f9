package io.handoff.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.handoff.control.Json;

class BenchJsonTest {
    @Test
    void scalars() {
        assertEquals("null\n", Json.writePretty(null));
        assertEquals("true\n", Json.writePretty(true));
        assertEquals("42\n", Json.writePretty(42));
        assertEquals("9007199254740993\n", Json.writePretty(9007199254740993L));
        assertEquals("1.5\n", Json.writePretty(1.5));
        assertEquals("3\n", Json.writePretty(3.0));
        assertEquals("1.0E-5\n", Json.writePretty(1e-5));
        assertEquals("null\n", Json.writePretty(Double.NaN));
        assertEquals("null\n", Json.writePretty(Double.POSITIVE_INFINITY));
        assertEquals("\"close\"\n", Json.writePretty(Mode.close));
    }

    @Test
    void stringsAreEscaped() {
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001f\\u2028µ\"\n", Json.writePretty("a\"b\\c\nd\te\u0001f\u2028µ"));
    }

    @Test
    void nestedStructuresKeepTheirOrderAndIndent() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1);
        m.put("a", List.of("x", 2));
        m.put("empty", List.of());
        m.put("none", new LinkedHashMap<>());
        m.put("nil", null);
        m.put("arr", new Object[] {1, "two"});
        assertEquals("""
                {
                  "z": 1,
                  "a": [
                    "x",
                    2
                  ],
                  "empty": [],
                  "none": {},
                  "nil": null,
                  "arr": [
                    1,
                    "two"
                  ]
                }
                """, Json.writePretty(m));
    }

    @Test
    void listsMayHoldNulls() {
        assertEquals("[\n  null,\n  1\n]\n", Json.writePretty(new ArrayList<>(Arrays.asList(null, 1))));
    }

    @Test
    void otherValuesAreWrittenAsTheirText() {
        assertEquals("\"/tmp/x\"\n", Json.writePretty(java.nio.file.Path.of("/tmp/x")));
        assertEquals("{\n  \"1\": 2\n}\n", Json.writePretty(Map.of(1, 2)));
    }

    @Test
    void shellQuotingForTheRecordedCommand() {
        assertEquals("--target", ResultsJson.shellQuote("--target"));
        assertEquals("nginx=127.0.0.1:9001", ResultsJson.shellQuote("nginx=127.0.0.1:9001"));
        assertEquals("'a b'", ResultsJson.shellQuote("a b"));
        assertEquals("'it'\\''s'", ResultsJson.shellQuote("it's"));
        assertEquals("''", ResultsJson.shellQuote(""));
    }
}

package io.handoff.control;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonpCharacterEscapes;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;

/**
 * The JSON of the control socket's answers and of bench's results.json, through jackson-jr: objects are
 * {@code Map<String, Object>} (insertion-ordered), arrays are lists, plus strings, numbers, booleans and null. Any
 * other value is written as its {@code toString()}, so an answer never fails for one odd field.
 */
public final class Json {
    private static final JSON COMPACT = JSON.builder(factory())
            .enable(JSON.Feature.WRITE_NULL_PROPERTIES)
            // Answers are maps and lists built by hand; reflecting over an object's getters would only surprise.
            .disable(JSON.Feature.HANDLE_JAVA_BEANS, JSON.Feature.FAIL_ON_UNKNOWN_TYPE_WRITE,
                    JSON.Feature.USE_DEFERRED_MAPS)
            .register(new FiniteNumbers())
            .build();
    private static final JSON PRETTY = COMPACT.with(prettyPrinter());

    private Json() {}

    /** An ordered object builder: {@code Json.object("ok", true, "pid", 12)}. */
    public static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    /** One line, as the control socket answers. */
    public static String write(Object value) {
        return write(COMPACT, value);
    }

    /** Two-space indents and a final newline, for a file people read as well as programs. */
    public static String writePretty(Object value) {
        return write(PRETTY, value) + "\n";
    }

    /**
     * Parses one JSON document. Integral numbers come back as Long (BigInteger beyond it) and others as Double, so a
     * caller compares a field with one type whatever its size.
     *
     * @throws IllegalArgumentException when {@code text} is not exactly one JSON document
     */
    public static Object parse(String text) {
        try (JsonParser p = COMPACT.getStreamingFactory().createParser(text)) {
            if (p.nextToken() == null) throw new IllegalArgumentException("bad JSON: empty document");
            Object value = COMPACT.anyFrom(p);
            if (p.nextToken() != null) throw new IllegalArgumentException("bad JSON: trailing characters");
            return normalise(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad JSON: " + e.getMessage(), e);
        }
    }

    private static String write(JSON json, Object value) {
        try {
            return json.asString(value);
        } catch (IOException e) {
            // Writing to a string does no I/O: this is a value jackson-jr cannot represent.
            throw new IllegalArgumentException("no JSON form: " + e.getMessage(), e);
        }
    }

    private static Object normalise(Object v) {
        return switch (v) {
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case BigInteger b when b.bitLength() < Long.SIZE -> b.longValue();
            case BigDecimal d -> d.doubleValue();
            case Float f -> f.doubleValue();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put((String) k, normalise(x)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) out.add(normalise(x));
                yield out;
            }
            case null, default -> v;
        };
    }

    private static JsonFactory factory() {
        // U+2028 and U+2029 escaped too, so an answer is also a valid JavaScript literal.
        return new JsonFactoryBuilder().characterEscapes(new JsonpCharacterEscapes()).build();
    }

    /** {@code "key": value}, one element per line, {@code []} and {@code {}} when empty. */
    private static DefaultPrettyPrinter prettyPrinter() {
        Separators separators = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(separators);
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        pp.indentObjectsWith(indenter);
        pp.indentArraysWith(indenter);
        return pp;
    }

    /**
     * JSON has no NaN or infinity: those become null (jackson would write the string "NaN"). A whole double is
     * written as an integer ({@code 500}, not {@code 500.0}), as people read rates and seconds.
     */
    private static final class FiniteNumbers extends JacksonJrExtension {
        @Override
        protected void register(ExtensionContext ctx) {
            ValueWriter writer = new ValueWriter() {
                @Override
                public void writeValue(JSONWriter context, JsonGenerator g, Object value) throws IOException {
                    double d = ((Number) value).doubleValue();
                    if (Double.isNaN(d) || Double.isInfinite(d)) g.writeNull();
                    else if (d == Math.rint(d) && Math.abs(d) < 1e15) g.writeNumber((long) d);
                    else g.writeNumber(d);
                }

                @Override
                public Class<?> valueType() { return Double.class; }
            };
            ctx.insertProvider(new ReaderWriterProvider() {
                @Override
                public ValueWriter findValueWriter(JSONWriter context, Class<?> type) {
                    return type == Double.class || type == Float.class ? writer : null;
                }
            });
        }
    }
}

package io.handoff.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the bench command's values; pure functions, so the rules are unit-tested without a command line. */
final class Args {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private Args() {}

    /**
     * A duration as people type it: {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1m30s}, {@code 1.5s}, or a bare
     * number of seconds ({@code 10}).
     */
    static Duration parseDuration(String text) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) throw new IllegalArgumentException("empty duration");
        if (s.chars().allMatch(Character::isDigit)) {
            return Duration.ofSeconds(parseLong(s, text));
        }
        Matcher m = DURATION_PART.matcher(s);
        long nanos = 0;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (try 10s, 500ms, 2m, 1m30s)");
            }
            double amount = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            double add = amount * unit;
            if (add > Long.MAX_VALUE / 4.0 || nanos + add > Long.MAX_VALUE / 4.0) {
                throw new IllegalArgumentException("'" + text + "' is too long a duration");
            }
            nanos += (long) add;
            at = m.end();
        }
        return Duration.ofNanos(nanos);
    }

    /** {@code 10,100,1000}: positive integers, at least one, no empty items. */
    static List<Integer> parsePositiveInts(String text) {
        List<Integer> out = new ArrayList<>();
        for (String item : splitList(text)) {
            long v = parseLong(item, item);
            if (v < 1 || v > Integer.MAX_VALUE) throw new IllegalArgumentException("'" + item + "' must be 1 or more");
            out.add((int) v);
        }
        return out;
    }

    /** {@code a,b,c} trimmed; empty items and an empty list are errors, so a typo like {@code 10,,100} is caught. */
    static List<String> splitList(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty list");
        List<String> out = new ArrayList<>();
        for (String item : text.split(",", -1)) {
            String t = item.trim();
            if (t.isEmpty()) throw new IllegalArgumentException("'" + text + "' has an empty item");
            out.add(t);
        }
        return out;
    }

    /** A duration the way the table and progress line show it: {@code 10s}, {@code 1.5s}, {@code 500ms}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        if (ms < 1000) return ms + "ms";
        return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    private static long parseLong(String s, String original) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + original + "' is not a whole number");
        }
    }
}

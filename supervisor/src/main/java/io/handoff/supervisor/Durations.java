package io.handoff.supervisor;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way durations are typed, on every command line and in control commands: {@code 10s}, {@code 500ms},
 * {@code 2m}, {@code 1h}, {@code 1m30s}, {@code 1.5s}, or a bare whole number of seconds ({@code 10}), as the flags
 * took before they had units.
 */
public final class Durations {
    /** What help texts say after a duration flag. */
    public static final String SYNTAX = "10s, 500ms, 2m; a bare number is seconds";

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    /** Far beyond any sensible timeout, and a quarter of what a nanosecond clock holds, so sums cannot overflow. */
    private static final long MAX_NANOS = Long.MAX_VALUE / 4;

    private Durations() {}

    /** @throws IllegalArgumentException with a one-line message that quotes {@code text} and shows the syntax */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) throw new IllegalArgumentException("empty duration (try " + SYNTAX + ")");
        if (s.chars().allMatch(Character::isDigit)) {
            // Digits only: seconds. Too many of them to be a long is also too long a duration.
            if (s.length() > 18 || Long.parseLong(s) > MAX_NANOS / 1_000_000_000L) throw tooLong(text);
            return Duration.ofSeconds(Long.parseLong(s));
        }
        Matcher m = PART.matcher(s);
        long nanos = 0;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (try " + SYNTAX + ")");
            }
            long unit = switch (m.group(2)) {
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            double add = Double.parseDouble(m.group(1)) * unit;
            if (add > MAX_NANOS || nanos + add > MAX_NANOS) throw tooLong(text);
            nanos += (long) add;
            at = m.end();
        }
        return Duration.ofNanos(nanos);
    }

    /** A duration the way it is typed: {@code 10s}, {@code 500ms}, {@code 1.5s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        if (ms < 1000) return ms + "ms";
        return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    private static IllegalArgumentException tooLong(String text) {
        return new IllegalArgumentException("'" + text + "' is too long a duration");
    }
}

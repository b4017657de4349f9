package io.handoff.handler;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date: ...\r\n} header line, shared by every connection of the process. Formatting a date costs far more
 * than serving the hello response, so it happens at most once per second; the stamp is immutable and published through
 * a volatile field, so readers never lock.
 */
final class HttpDate {
    // IMF-fixdate (RFC 9110 5.6.7). DateTimeFormatter.RFC_1123_DATE_TIME prints one-digit days, which HTTP forbids.
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private record Stamp(long second, byte[] line) {}

    private static volatile Stamp current = format(System.currentTimeMillis() / 1000);

    private HttpDate() {}

    /** The full header line, CRLF included. Callers must not modify the array. */
    static byte[] line() {
        long now = System.currentTimeMillis() / 1000;
        Stamp s = current;
        if (s.second != now) {
            // Two threads may both format at a second boundary; both results are equal, so the race is harmless.
            s = format(now);
            current = s;
        }
        return s.line;
    }

    private static Stamp format(long second) {
        String text = "Date: " + FORMAT.format(Instant.ofEpochSecond(second)) + "\r\n";
        return new Stamp(second, text.getBytes(StandardCharsets.US_ASCII));
    }
}

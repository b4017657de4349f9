package io.handoff.datagram;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** The built-in datagram services, named as {@code --handler} names them. */
public final class BuiltInDatagrams {
    /** The built-ins that also serve datagrams; http serves connections only. */
    public static final List<String> NAMES = List.of("echo", "daytime", "time", "hello");

    /** Seconds from 1900-01-01 (RFC 868's epoch) to 1970-01-01. */
    public static final long SECONDS_1900_TO_1970 = 2_208_988_800L;

    private BuiltInDatagrams() {}

    /** The datagram form of a built-in, or null if {@code name} is no built-in datagram service. */
    public static DatagramHandler of(String name) {
        return switch (name) {
            case "echo" -> new Echo();
            case "daytime" -> new Daytime();
            case "time" -> new Time();
            case "hello" -> new Hello();
            default -> null;
        };
    }

    /** RFC 862: the datagram back, as it came (an empty one too). */
    public static final class Echo implements DatagramHandler {
        @Override
        public void handle(Datagram d) throws Exception { d.reply(d.payload()); }
    }

    /** RFC 867: whatever the datagram held, the date and time as a line of text. */
    public static final class Daytime implements DatagramHandler {
        @Override
        public void handle(Datagram d) throws Exception { d.reply(ByteBuffer.wrap(daytime())); }
    }

    /** RFC 868: whatever the datagram held, 4 bytes: seconds since 1900-01-01 00:00 UTC, big-endian, unsigned. */
    public static final class Time implements DatagramHandler {
        @Override
        public void handle(Datagram d) throws Exception { d.reply(ByteBuffer.wrap(time())); }
    }

    /** {@code Hello <client-ip>\n}, the textbook greeter, answered to whatever arrives. */
    public static final class Hello implements DatagramHandler {
        @Override
        public void handle(Datagram d) throws Exception {
            d.reply(ByteBuffer.wrap(("Hello " + d.senderName() + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** RFC 867 leaves the syntax free; this is RFC 1123's (as HTTP's Date), in UTC, ended by CRLF. */
    public static byte[] daytime() {
        return (DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** RFC 868's 32-bit count wraps in 2036; the low 32 bits are what every client reads. */
    public static byte[] time() {
        long seconds = System.currentTimeMillis() / 1000 + SECONDS_1900_TO_1970;
        return ByteBuffer.allocate(4).putInt((int) seconds).array();
    }
}

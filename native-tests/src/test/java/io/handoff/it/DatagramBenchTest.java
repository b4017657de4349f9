package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code handoff bench --datagram} starts a model, loads it and prints a row whose figures are the measurement. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DatagramBenchTest {
    private static final Pattern ROW = Pattern.compile(
            "(?m)^virtual\\s+2000\\s+(\\d+)\\s+(\\d+)\\s+([0-9.]+)%\\s+(-?\\d+)\\s+(-?\\d+)\\s+([0-9.]+|NaN)\\s+([0-9.]+)c$");

    @Test
    void printsSentAnsweredLossAndRoundTripsForAFixedRate() throws Exception {
        ServerProcess.Result r = ServerProcess.run(Duration.ofSeconds(100), "bench", "--datagram", "--models",
                "virtual", "--rates", "2000", "--senders", "2", "--warmup", "1s", "--duration", "2s");
        assertEquals(0, r.status(), r.output());
        Matcher m = ROW.matcher(r.output());
        assertTrue(m.find(), r.output());
        long sent = Long.parseLong(m.group(1)), answered = Long.parseLong(m.group(2));
        // Paced at 2000/s: what was sent is the rate, give or take a tick; the server answers nearly all of it.
        assertTrue(sent >= 1900 && sent <= 2100, r.output());
        assertTrue(answered >= sent * 9 / 10 && answered <= sent, r.output());
        long p50 = Long.parseLong(m.group(4)), p99 = Long.parseLong(m.group(5));
        assertTrue(p50 > 0 && p50 <= p99, r.output());
    }
}

package io.handoff.bench;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * One load run: where, what, how many connections on how many event loops, and the window that counts.
 *
 * @param request    the bytes each request sends (empty for hello)
 * @param startNanos when the connections open (the warm-up starts), a {@link System#nanoTime()} value
 */
record LoadPlan(InetSocketAddress address, Protocol protocol, int connections, int threads, byte[] request,
        long startNanos, LoadWindow window, Duration timeout) {
    LoadPlan {
        if (connections < 1) throw new IllegalArgumentException("connections must be 1 or more");
        if (threads < 1) throw new IllegalArgumentException("threads must be 1 or more");
        request = request.clone(); // the event loops copy it into their own direct buffers
    }

    /** A plan that starts now, with a fixed warm-up. */
    static LoadPlan startingNow(InetSocketAddress address, String hostHeader, Protocol protocol, int connections,
            int threads, Duration warmup, Duration duration, Duration timeout) {
        long now = System.nanoTime();
        return new LoadPlan(address, protocol, connections, threads, requestBytes(protocol, hostHeader), now,
                LoadWindow.fixed(now + warmup.toNanos(), duration), timeout);
    }

    /** A plan that starts now and measures once {@link LoadWindow#open} is called on its window. */
    static LoadPlan openLater(InetSocketAddress address, String hostHeader, Protocol protocol, int connections,
            int threads, Duration duration, Duration timeout) {
        long now = System.nanoTime();
        return new LoadPlan(address, protocol, connections, threads, requestBytes(protocol, hostHeader), now,
                LoadWindow.pending(now, duration), timeout);
    }
    /** The exact bytes of one request, made once per run. */
    static byte[] requestBytes(Protocol protocol, String hostHeader) {
        return switch (protocol) {
            case HTTP_KEEPALIVE -> ("GET / HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            case HTTP_CLOSE -> ("GET / HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            case HELLO -> new byte[0];
            case ECHO -> {
                byte[] b = new byte[Protocol.ECHO_SIZE];
                Arrays.fill(b, (byte) 'x');
                b[b.length - 1] = '\n';
                yield b;
            }
        };
    }
}

package io.handoff.it;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import io.handoff.control.Json;

/** Talks to a supervisor's control socket directly (the `handoff ctl` CLI is tested separately). */
final class Control {
    private Control() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> send(Path socket, String line) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) ch.write(out);
            String text = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
            return (Map<String, Object>) Json.parse(text.trim());
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> workers(Map<String, Object> status) {
        return (List<Map<String, Object>>) status.get("workers");
    }

    /** Polls status until {@code done} holds; fails with the last status after {@code timeout}. */
    static Map<String, Object> awaitStatus(Path socket, Predicate<Map<String, Object>> done, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> last = null;
        while (System.nanoTime() < deadline) {
            last = send(socket, "status");
            if (done.test(last)) return last;
            Thread.sleep(100);
        }
        throw new AssertionError("status never matched within " + timeout + "; last: " + last);
    }

    /**
     * Reloads the server twice while its clients keep going, once by {@code ctl reload} and once by SIGHUP, each
     * time until every worker is of the new generation (2, then 3), with a second of load before and after.
     */
    static void reloadTwiceUnderLoad(Path socket, ServerProcess server) throws Exception {
        Thread.sleep(1000);
        if (!Boolean.TRUE.equals(send(socket, "reload").get("ok"))) throw new AssertionError("reload refused");
        awaitGeneration(socket, 2L);
        server.signal("HUP");
        awaitGeneration(socket, 3L);
        Thread.sleep(1000);
    }

    private static void awaitGeneration(Path socket, long generation) throws Exception {
        awaitStatus(socket, x -> !Boolean.TRUE.equals(x.get("reloading"))
                && workers(x).stream().allMatch(w -> w.get("generation").equals(generation)), Duration.ofSeconds(60));
    }

    /** Ready workers (state "ready", not retiring) in a status answer. */
    static long readyWorkers(Map<String, Object> status) {
        return workers(status).stream().filter(w -> "ready".equals(w.get("state"))).count();
    }
}

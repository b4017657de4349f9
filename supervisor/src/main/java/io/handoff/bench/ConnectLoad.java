package io.handoff.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop "new connection per request" load: {@code connections} platform threads each connect, read the
 * server's whole answer (hello greets and closes), close, and go again, for {@code duration}. Platform threads and
 * blocking sockets keep the client's own cost per connection small and predictable.
 *
 * <p>{@code java -cp ... io.handoff.bench.ConnectLoad HOST:PORT CONNECTIONS SECONDS}
 */
public final class ConnectLoad {
    public record Result(long ok, long errors, double seconds, long p50Micros, long p99Micros, long p999Micros) {
        public double perSecond() { return ok / seconds; }

        @Override
        public String toString() {
            return String.format("conn/s=%.0f ok=%d errors=%d p50=%.2fms p99=%.2fms p99.9=%.2fms", perSecond(), ok,
                    errors, p50Micros / 1000.0, p99Micros / 1000.0, p999Micros / 1000.0);
        }
    }

    private ConnectLoad() {}

    public static Result run(InetSocketAddress target, int connections, Duration duration, Duration warmup)
            throws InterruptedException {
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        long[][] samples = new long[connections][];
        List<Thread> threads = new ArrayList<>();
        int[] counts = new int[connections];
        for (int t = 0; t < connections; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(512);
                long[] lat = new long[4096];
                int n = 0;
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= end) break;
                    try (SocketChannel ch = SocketChannel.open(target)) {
                        buf.clear();
                        while (ch.read(buf) >= 0) {
                            if (!buf.hasRemaining()) buf.clear();
                        }
                    } catch (IOException e) {
                        if (t0 >= measureFrom) errors.incrementAndGet();
                        continue;
                    }
                    if (t0 >= measureFrom) {
                        if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                        lat[n++] = (System.nanoTime() - t0) / 1000;
                    }
                }
                samples[id] = lat;
                counts[id] = n;
            }));
        }
        for (Thread t : threads) t.join();
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int k = 0;
        for (int t = 0; t < connections; t++) {
            System.arraycopy(samples[t], 0, all, k, counts[t]);
            k += counts[t];
        }
        Arrays.sort(all);
        return new Result(total, errors.get(), duration.toNanos() / 1e9, pct(all, 0.50), pct(all, 0.99),
                pct(all, 0.999));
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }

    public static void main(String[] args) throws Exception {
        String hostPort = args[0];
        int colon = hostPort.lastIndexOf(':');
        var target = new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        int connections = Integer.parseInt(args[1]);
        Duration duration = Duration.ofSeconds(Long.parseLong(args[2]));
        System.out.println(run(target, connections, duration, Duration.ofSeconds(2)));
    }
}

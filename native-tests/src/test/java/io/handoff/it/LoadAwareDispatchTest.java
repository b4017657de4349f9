package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Why the supervisor picks the least loaded worker instead of taking turns: with two workers, one of which has become
 * slow (worker 1 serves one connection at a time, 200 ms each; {@link UserHandlerJar#SLOW_WORKER}), a closed-loop
 * client with {@value #CLIENTS} concurrent connections sees a bounded p99 under {@code --dispatch least-loaded}, while
 * under {@code --dispatch round-robin} every other connection queues behind the slow worker: its queue grows until it
 * holds every client, throughput falls to twice the slow worker's 5 per second, and p99 becomes that queue's length
 * times 200 ms. {@code --dispatch shared} does the same: the kernel hands connections to the workers' blocked
 * acceptors in turn, and the slow worker's acceptor is always waiting.
 *
 * <p>What least loaded does not do: it balances connection counts, not expected waits. It gives the slow worker a
 * connection whenever the fast one briefly holds as many (unacknowledged handoffs count), so the slow worker still
 * keeps a queue and the few clients in it wait as long as under round-robin (the max column). They are a sliver of
 * the connections, which is why p99 stays low.
 *
 * <p>Built to survive a noisy 2-core machine: both runs happen in this one test and are compared by ratio, the
 * thresholds are loose (the measured gap is two to three orders of magnitude), and the whole test takes about 30 s.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoadAwareDispatchTest {
    static final int CLIENTS = 16;
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final Duration MEASURE = Duration.ofSeconds(5);

    @TempDir
    Path tmp;

    @Test
    void leastLoadedKeepsP99BoundedWhileRoundRobinAndSharedQueueBehindTheSlowWorker() throws Exception {
        Path jar = UserHandlerJar.slowWorker(tmp);
        Run leastLoaded = run("least-loaded", jar);
        Run roundRobin = run("round-robin", jar);
        Run shared = run("shared", jar);
        String figure = Run.HEADER + "\n" + leastLoaded + "\n" + roundRobin + "\n" + shared;
        System.out.println("slow worker 1 (serial, 200 ms per connection), " + CLIENTS + " closed-loop clients, "
                + MEASURE.toSeconds() + " s each:\n" + figure);

        assertTrue(leastLoaded.errors == 0 && roundRobin.errors == 0 && shared.errors == 0, figure);
        // Round-robin: the slow worker gets its full half and its queue grows until it holds most of the clients.
        assertTrue(roundRobin.slowShare() > 0.3, figure);
        assertTrue(roundRobin.slowMeanOpen() >= CLIENTS / 2.0, figure);
        // Least loaded: the slow worker gets a connection only when it holds no more than the fast one.
        assertTrue(leastLoaded.slowShare() < 0.05, figure);
        // Hence the tail: bounded with least loaded, a multiple of it with round-robin, and the throughput too.
        assertTrue(leastLoaded.p99Millis() < 1000, figure);
        assertTrue(roundRobin.p99Millis() > 4 * leastLoaded.p99Millis(), figure);
        assertTrue(leastLoaded.throughput() > 4 * roundRobin.throughput(), figure);
        // Shared listening sockets are as blind as round-robin: the kernel does not know the slow worker is slow.
        assertTrue(shared.slowShare() > 0.3, figure);
        assertTrue(shared.p99Millis() > 4 * leastLoaded.p99Millis(), figure);
    }

    /** Serves the slow-worker handler with {@code --dispatch dispatch} and drives it; kills the server after. */
    private Run run(String dispatch, Path jar) throws Exception {
        Path control = tmp.resolve(dispatch + ".sock");
        ServerProcess server = ServerProcess.serve("--model", "fork", "--workers", "2", "--dispatch", dispatch,
                "--handler", UserHandlerJar.SLOW_WORKER, "--handler-classpath", jar.toString(),
                "--bind", "127.0.0.1:0", "--control", control.toString());
        ClosedLoop load = new ClosedLoop(server.port(0), CLIENTS);
        try {
            Thread.sleep(WARM_UP.toMillis());
            load.record(true);
            long t0 = System.nanoTime();
            List<Integer> slowOpen = new ArrayList<>();
            while (System.nanoTime() - t0 < MEASURE.toNanos()) {
                for (Map<String, Object> w : Control.workers(Control.send(control, "status"))) {
                    if (((Number) w.get("id")).intValue() == 1) slowOpen.add(((Number) w.get("open")).intValue());
                }
                Thread.sleep(200);
            }
            load.record(false);
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Run(dispatch, load.latencies(), load.errors.get(), load.servedBy(), slowOpen, seconds);
        } finally {
            server.close(); // first: clients queued behind the slow worker end with it instead of waiting their turn
            load.close();
        }
    }

    /** One mode's result: latencies of the connections completed in the window, sorted, in microseconds. */
    record Run(String dispatch, long[] micros, long errors, Map<String, Long> servedBy, List<Integer> slowOpen,
            double seconds) {
        static final String HEADER = String.format("%-12s %8s %8s %8s %8s %8s %7s %8s  %s", "dispatch", "conn/s",
                "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "w1 queue", "served by");

        long percentileMicros(double p) {
            if (micros.length == 0) return Long.MAX_VALUE;
            return micros[Math.min(micros.length - 1, (int) Math.ceil(p / 100 * micros.length) - 1)];
        }

        long p99Millis() { return percentileMicros(99) / 1000; }

        /** The fraction of the connections completed in the window that worker 1 served. */
        double slowShare() {
            return micros.length == 0 ? 0 : servedBy.getOrDefault("worker-1", 0L) / (double) micros.length;
        }

        /** Connections worker 1 held, as it last reported, sampled every 200 ms. */
        double slowMeanOpen() { return slowOpen.stream().mapToInt(Integer::intValue).average().orElse(0); }

        double throughput() { return micros.length / seconds; }

        @Override
        public String toString() {
            return String.format("%-12s %8.0f %8.1f %8.1f %8.1f %8.1f %7d %8.1f  %s  w1 queue every 200 ms: %s", dispatch,
                    throughput(), percentileMicros(50) / 1000.0, percentileMicros(90) / 1000.0,
                    percentileMicros(99) / 1000.0, percentileMicros(100) / 1000.0, errors, slowMeanOpen(), servedBy,
                    slowOpen);
        }
    }

    /**
     * {@code clients} threads, each connecting, reading the reply to its end, closing, and connecting again at once.
     * While recording, every connection that completes is timed from connect to end of reply.
     */
    static final class ClosedLoop implements AutoCloseable {
        private final int port;
        private final List<Thread> threads = new ArrayList<>();
        private final ConcurrentLinkedQueue<Long> samples = new ConcurrentLinkedQueue<>();
        private final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();
        private volatile boolean running = true;
        private volatile boolean recording;
        final AtomicLong errors = new AtomicLong();

        ClosedLoop(int port, int clients) {
            this.port = port;
            for (int i = 0; i < clients; i++) {
                threads.add(Thread.ofPlatform().daemon().name("client-" + i).start(this::loop));
            }
        }

        private void loop() {
            while (running) {
                long t0 = System.nanoTime();
                try (Socket s = Clients.tcp(port)) {
                    String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                    long micros = (System.nanoTime() - t0) / 1000;
                    if (!recording) continue;
                    if (!reply.startsWith("served by worker-")) throw new IOException("reply '" + reply + "'");
                    samples.add(micros);
                    servedBy.computeIfAbsent(reply.substring("served by ".length()), k -> new LongAdder()).increment();
                } catch (IOException e) {
                    if (recording) errors.incrementAndGet();
                }
            }
        }

        void record(boolean on) { recording = on; }

        long[] latencies() {
            long[] a = samples.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(a);
            return a;
        }

        Map<String, Long> servedBy() {
            Map<String, Long> out = new TreeMap<>();
            servedBy.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }

        /** Stops the clients; ones still waiting for the (already killed) server end with it. */
        @Override
        public void close() throws InterruptedException {
            recording = false;
            running = false;
            for (Thread t : threads) t.join(Clients.READ_TIMEOUT_MILLIS + 5000);
        }
    }
}

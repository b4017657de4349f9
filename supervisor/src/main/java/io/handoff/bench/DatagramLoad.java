package io.handoff.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The datagram load generator: {@code senders} connected UDP sockets, each with a sending and a receiving platform
 * thread. At a fixed rate the senders pace themselves on the clock (open loop: a slow server does not slow the
 * load); flat out ({@code rate} 0) each keeps {@link #WINDOW} datagrams in flight and sends the next as an answer
 * arrives (an answer missing for 50 ms is given up on and its slot reused). Every datagram carries its sequence
 * number and send time, so the round trip is measured on the answer, and an answer is counted once.
 */
final class DatagramLoad {
    static final int WINDOW = 64;
    private static final long GIVE_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Round trips to 10 ms in 1 µs steps, then to 10 s in 1 ms steps. */
    private static final int FINE = 10_000, COARSE = 10_000;

    record Result(long sent, long answered, long seconds, long[] histogram, long sendErrors) {
        long lost() { return Math.max(0, sent - answered); }

        double perSecond(long n, Duration d) { return n * 1e9 / d.toNanos(); }

        /** The round trip in microseconds below which {@code q} of the answers came. */
        long percentileMicros(double q) {
            long total = 0;
            for (long c : histogram) total += c;
            if (total == 0) return -1;
            long rank = (long) Math.ceil(q * total), seen = 0;
            for (int i = 0; i < histogram.length; i++) {
                seen += histogram[i];
                if (seen >= rank) return i < FINE ? i : FINE + (long) (i - FINE) * 1000;
            }
            return -1;
        }
    }

    private final InetSocketAddress target;
    private final int senders;
    private final long rate;
    private final int payload;

    DatagramLoad(InetSocketAddress target, int senders, long rate, int payload) {
        this.target = target;
        this.senders = senders;
        this.rate = rate;
        this.payload = Math.max(16, payload);
    }

    /** Loads the target for {@code duration}; answers that arrive within 500 ms after the last send count. */
    Result run(Duration duration) throws IOException, InterruptedException {
        long start = System.nanoTime(), end = start + duration.toNanos();
        LongAdder sent = new LongAdder(), answered = new LongAdder(), sendErrors = new LongAdder();
        List<long[]> histograms = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<DatagramChannel> channels = new ArrayList<>();
        try {
            for (int s = 0; s < senders; s++) {
                DatagramChannel ch = DatagramChannel.open();
                channels.add(ch);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
                ch.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
                ch.connect(target);
                Semaphore window = new Semaphore(WINDOW);
                long[] histogram = new long[FINE + COARSE + 1];
                histograms.add(histogram);
                long interval = rate > 0 ? Math.max(1, senders * 1_000_000_000L / rate) : 0;
                long offset = interval * s / senders; // the senders' ticks interleave
                threads.add(Thread.ofPlatform().name("dgram-recv-" + s).start(() -> receive(ch, window, histogram,
                        answered)));
                threads.add(Thread.ofPlatform().name("dgram-send-" + s).start(() -> send(ch, window, start + offset,
                        interval, end, sent, sendErrors)));
            }
            for (int i = 1; i < threads.size(); i += 2) threads.get(i).join();
            Thread.sleep(500); // late answers
        } finally {
            for (DatagramChannel ch : channels) ch.close();
            for (Thread t : threads) t.join(2000);
        }
        long[] merged = new long[FINE + COARSE + 1];
        for (long[] h : histograms) for (int i = 0; i < h.length; i++) merged[i] += h[i];
        return new Result(sent.sum(), answered.sum(), duration.toSeconds(), merged, sendErrors.sum());
    }

    private void send(DatagramChannel ch, Semaphore window, long first, long interval, long end, LongAdder sent,
            LongAdder sendErrors) {
        ByteBuffer out = ByteBuffer.allocateDirect(payload);
        long next = first;
        long seq = 0;
        try {
            while (true) {
                long now = System.nanoTime();
                if (now - end >= 0) return;
                if (interval > 0) {
                    long wait = next - now;
                    if (wait > 20_000) LockSupport.parkNanos(wait - 10_000);
                    while (System.nanoTime() - next < 0) Thread.onSpinWait();
                    next += interval;
                } else {
                    window.tryAcquire(GIVE_UP_NANOS, TimeUnit.NANOSECONDS); // on a timeout, one was lost: go on
                }
                out.clear();
                out.putLong(0, seq++).putLong(8, System.nanoTime());
                try {
                    ch.write(out);
                    sent.increment();
                } catch (java.net.PortUnreachableException e) {
                    sendErrors.increment(); // ICMP for an earlier datagram: the server is not (yet) there
                }
            }
        } catch (ClosedChannelException | InterruptedException e) {
            // the run is over
        } catch (IOException e) {
            sendErrors.increment();
        }
    }

    private static void receive(DatagramChannel ch, Semaphore window, long[] histogram, LongAdder answered) {
        ByteBuffer in = ByteBuffer.allocateDirect(65_536);
        while (true) {
            try {
                in.clear();
                int n = ch.read(in);
                long now = System.nanoTime();
                if (n < 16) continue;
                long micros = (now - in.getLong(8)) / 1000;
                int bucket = micros < FINE ? (int) micros : (int) Math.min(FINE + COARSE, FINE + (micros - FINE) / 1000);
                histogram[bucket]++;
                answered.increment();
                window.release();
            } catch (java.net.PortUnreachableException e) {
                // an ICMP error: nothing to count here, the datagram is lost
            } catch (IOException e) {
                return; // closed: the run is over
            }
        }
    }
}

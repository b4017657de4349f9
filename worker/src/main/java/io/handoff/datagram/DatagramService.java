package io.handoff.datagram;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.Episode;
import io.handoff.unix.DatagramPort;
import io.handoff.unix.NativeException;

/**
 * Serves datagram sockets: receive loops on platform threads (recvfrom on the raw fd), and the handler called once
 * per datagram where the model says ({@link Where}). The same in every process: the in-process models run one in
 * the supervisor, each fork worker runs one on the sockets the supervisor sent it.
 *
 * <p>Abuse never stops a loop: a datagram larger than {@code maxBytes} is dropped whole and counted (MSG_TRUNC tells
 * its real size), an ICMP error reported on the socket is counted, an answer that cannot be delivered is counted, a
 * handler that throws is logged (once per episode) and counted, and the next datagram is served.
 */
public final class DatagramService {
    private static final Logger log = LoggerFactory.getLogger(DatagramService.class);
    /** How often an idle receive loop looks at the stop flag. */
    private static final int IDLE_WAKE_MILLIS = 200;
    /** Datagrams waiting for a pool thread (--model threads) before more are dropped. */
    private static final int POOL_QUEUE = 4096;

    /** Where the handler runs. */
    public enum Where {
        /** On the receiving thread (fork workers, events): no handoff between threads, nothing to queue. */
        RECEIVER,
        /** On a bounded pool of platform threads (threads); a datagram the full pool cannot queue is dropped. */
        POOL,
        /** On a virtual thread of its own (virtual), at most {@code maxInFlight} at once; beyond, dropped. */
        VIRTUAL
    }

    /** One socket to serve and how it is called in logs. */
    public record Socket(DatagramPort port, String name) {}

    private final List<Socket> sockets;
    private final Where where;
    private final int receiversPerSocket;
    private final int maxBytes;
    private final ThreadPoolExecutor pool;
    private final Semaphore inFlight;
    private final int maxInFlight;
    private final List<Thread> receivers = new ArrayList<>();
    /** Per receive thread: when its handler call began, 0 while it receives. Written by that thread only. */
    private final java.util.concurrent.atomic.AtomicLongArray busySince;
    private volatile DatagramHandler handler;
    private volatile boolean stopping;
    private volatile long drainDeadlineNanos;
    private final Episode failing = new Episode(log);
    private final Episode oversized = new Episode(log);

    private final LongAdder in = new LongAdder();
    private final LongAdder out = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder undelivered = new LongAdder();
    private final LongAdder peerErrors = new LongAdder();

    /**
     * @param receiversPerSocket receive threads per socket (several threads may wait on one socket: the kernel gives
     *                           each datagram to one of them)
     * @param threads            pool threads for {@link Where#POOL}; in-flight limit for {@link Where#VIRTUAL}
     * @param maxBytes           the largest datagram served; a larger one is dropped whole
     */
    public DatagramService(List<Socket> sockets, DatagramHandler handler, Where where, int receiversPerSocket,
            int threads, int maxBytes) {
        this.sockets = List.copyOf(sockets);
        this.handler = handler;
        this.where = where;
        this.receiversPerSocket = where == Where.RECEIVER ? Math.max(1, receiversPerSocket) : 1;
        this.maxBytes = maxBytes;
        this.busySince = new java.util.concurrent.atomic.AtomicLongArray(sockets.size() * this.receiversPerSocket);
        this.pool = where == Where.POOL ? new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(POOL_QUEUE), Thread.ofPlatform().name("datagram-", 0).factory(),
                new ThreadPoolExecutor.AbortPolicy()) : null;
        this.inFlight = where == Where.VIRTUAL ? new Semaphore(threads) : null;
        this.maxInFlight = threads;
    }

    public void start() {
        for (Socket s : sockets) {
            for (int i = 0; i < receiversPerSocket; i++) {
                int slot = receivers.size();
                receivers.add(Thread.ofPlatform().name("recv-" + s.name() + "-" + i).start(() -> receive(s, slot)));
            }
        }
    }

    /**
     * True when, for some socket, every receive thread has been inside one handler call for longer than
     * {@code nanos}: nothing more is received from it. (Inline handlers only; the pool and virtual threads never
     * hold a receive thread.) A fork worker stops heartbeating then, and is killed and replaced as hung.
     */
    public boolean stuckLongerThan(long nanos) {
        long now = System.nanoTime();
        for (int s = 0; s < sockets.size(); s++) {
            boolean all = true;
            for (int i = 0; i < receiversPerSocket && all; i++) {
                long since = busySince.get(s * receiversPerSocket + i);
                all = since != 0 && now - since > nanos;
            }
            if (all) return true;
        }
        return false;
    }

    /** From the next datagram on, served by {@code next} (reload). */
    public void handler(DatagramHandler next) { this.handler = next; }

    public int sockets() { return sockets.size(); }

    private void receive(Socket s, int slot) {
        DatagramPort.Receiver r = s.port().receiver(maxBytes);
        while (true) {
            int n;
            try {
                n = r.receive(stopping ? 0 : IDLE_WAKE_MILLIS);
            } catch (NativeException e) {
                if (!stopping) log.error("datagram receive failed socket={} error={}; loop ends", s.name(), e.getMessage());
                return;
            }
            if (n == DatagramPort.Receiver.NOTHING) {
                // Stopping: the socket is empty, everything received was served (or handed to a thread).
                if (stopping) return;
                oversized.clear("datagrams too large: episode over socket={}", s.name());
                continue;
            }
            if (stopping && System.nanoTime() - drainDeadlineNanos > 0) return;
            if (n == DatagramPort.Receiver.TOO_LARGE) {
                dropped.increment();
                oversized.seen("datagram too large, dropped whole socket={} bytes={} max={}", s.name(), r.length(),
                        maxBytes);
                continue;
            }
            if (n == DatagramPort.Receiver.PEER_ERROR) {
                peerErrors.increment();
                continue;
            }
            in.increment();
            switch (where) {
                case RECEIVER -> {
                    busySince.set(slot, System.nanoTime() | 1);
                    serve(new Received(s.port(), r.payload().asReadOnlyBuffer(), r.sender()));
                    busySince.set(slot, 0);
                }
                case POOL -> {
                    Received d = copy(s.port(), r);
                    try {
                        pool.execute(() -> serve(d));
                    } catch (RejectedExecutionException e) {
                        dropped.increment();
                    }
                }
                case VIRTUAL -> {
                    if (!inFlight.tryAcquire()) {
                        dropped.increment();
                        continue;
                    }
                    Received d = copy(s.port(), r);
                    Thread.ofVirtual().start(() -> {
                        try {
                            serve(d);
                        } finally {
                            inFlight.release();
                        }
                    });
                }
            }
        }
    }

    private Received copy(DatagramPort port, DatagramPort.Receiver r) {
        ByteBuffer payload = ByteBuffer.allocate(r.length());
        payload.put(r.payload().duplicate()).flip();
        return new Received(port, payload.asReadOnlyBuffer(), r.sender());
    }

    private void serve(Received d) {
        try {
            handler.handle(d);
            failing.clear("datagram handler failures: episode over");
        } catch (Throwable t) {
            failed.increment();
            failing.seen("datagram handler failed; serving on error={}", t.toString(), t);
        }
    }

    /**
     * Stops receiving: each loop serves what its socket still holds (until it finds it empty, or {@code grace}
     * passed), then ends; then the datagrams handed to threads are finished within what is left of {@code grace}.
     * True when nothing was cut off.
     */
    public boolean stop(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        drainDeadlineNanos = deadline;
        stopping = true;
        boolean graceful = true;
        for (Thread t : receivers) {
            t.join(Math.max(1, remainingMillis(deadline) + IDLE_WAKE_MILLIS));
            graceful &= !t.isAlive();
        }
        if (pool != null) {
            pool.shutdown();
            graceful &= pool.awaitTermination(Math.max(0, remainingMillis(deadline)), TimeUnit.MILLISECONDS);
            if (!graceful) pool.shutdownNow();
        }
        if (inFlight != null) {
            // Every permit back: every virtual thread started has finished.
            boolean all = inFlight.tryAcquire(maxInFlight, Math.max(0, remainingMillis(deadline)), TimeUnit.MILLISECONDS);
            if (all) inFlight.release(maxInFlight);
            graceful &= all;
        }
        return graceful;
    }

    /** Closes this process's references to the sockets (after {@link #stop}). */
    public void close() {
        for (Socket s : sockets) s.port().close();
    }

    private static long remainingMillis(long deadline) { return (deadline - System.nanoTime()) / 1_000_000; }

    /** Datagrams received (served or handed to a thread). */
    public long in() { return in.sum(); }

    /** Answers (and other sends) delivered to the kernel. */
    public long out() { return out.sum(); }

    /** Datagrams not served: larger than the limit, or no thread free to take them. */
    public long dropped() { return dropped.sum(); }

    /** Datagrams whose handler threw. */
    public long failed() { return failed.sum(); }

    /** Answers that could not be delivered (the sender gone, unnamed, or its queue full). */
    public long undelivered() { return undelivered.sum(); }

    /** ICMP errors the kernel reported on a socket (port unreachable for an earlier answer). */
    public long peerErrors() { return peerErrors.sum(); }

    /** A datagram as a handler sees it. */
    private final class Received implements Datagram {
        private final DatagramPort port;
        private final ByteBuffer payload;
        private final byte[] sender;
        private SocketAddress decoded;

        Received(DatagramPort port, ByteBuffer payload, byte[] sender) {
            this.port = port;
            this.payload = payload;
            this.sender = sender;
        }

        @Override
        public ByteBuffer payload() { return payload; }

        @Override
        public SocketAddress sender() {
            if (decoded == null) decoded = DatagramPort.decode(sender);
            return decoded;
        }

        @Override
        public boolean reply(ByteBuffer answer) throws IOException {
            if (sender.length <= 2) { // an unnamed Unix sender: nowhere to answer
                undelivered.increment();
                return false;
            }
            return counted(port.send(answer, sender));
        }

        @Override
        public boolean send(ByteBuffer data, SocketAddress to) throws IOException {
            return counted(port.send(data, port.encode(to)));
        }

        private boolean counted(boolean sent) {
            if (sent) out.increment();
            else undelivered.increment();
            return sent;
        }
    }
}

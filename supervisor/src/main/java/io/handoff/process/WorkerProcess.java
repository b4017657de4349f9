package io.handoff.process;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.handoff.engine.Episode;
import io.handoff.protocol.MessageLink;

/**
 * The supervisor's view of one worker process.
 *
 * <p>Ownership: its lifecycle {@link State} belongs to the supervisor loop, which alone changes it (through
 * {@link #state(State)}); its link is set once by the pool's link acceptor, before the link's reader starts; the
 * figures it reports (open, served, heartbeats, acknowledgements) are written by its link reader and read by the
 * loop and the dispatcher; the in-flight count by the dispatcher and the link reader.
 */
public final class WorkerProcess {
    /**
     * Where a worker is in its life. Each state carries what belongs to it (why it retires, when it must be gone),
     * so no side flag can disagree with it.
     */
    public sealed interface State {
        /** Spawned; not ready yet. */
        record Booting() implements State {}

        /** Takes connections. */
        record Ready() implements State {}

        /** Still takes connections, until enough replacements are ready; then the loop drains it. */
        record Retiring(String reason) implements State {}

        /** Told to stop: takes nothing new, finishes what it holds; its exit is expected. Killed past the deadline. */
        record Draining(String reason, long deadlineNanos) implements State {}

        /** Hung, or its link broke: takes nothing; killed at {@code killAtNanos}; its exit counts as a death. */
        record Failing(String reason, long killAtNanos) implements State {}

        /** Exited; the loop forgets it right after. */
        record Gone(int exitValue) implements State {}
    }

    private static final State BOOTING = new State.Booting();
    private static final State READY = new State.Ready();

    private final int id;
    private final int generation;
    private final long pid;
    private final long startedNanos;
    private final long maxServed;
    /** Written by the loop only; volatile for the dispatcher's and the pool's reads. */
    private volatile State state = BOOTING;
    /** When the loop saw it ready; 0 while it never was. Loop only. */
    private long readyNanos;
    private volatile MessageLink link;
    private volatile long lastHeartbeatNanos;
    /** The worker's datagram counters, as its last report said; null while it reported none. */
    private volatile io.handoff.protocol.Message.DatagramStats datagrams;
    /** Connections sent and not yet acknowledged: they exist only in the link's socket buffer. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Last acknowledgement or refusal, or the send that found nothing in flight: progress on the handoffs. */
    private volatile long handoffProgressNanos = System.nanoTime();
    private final Episode stalled = new Episode(org.slf4j.LoggerFactory.getLogger(WorkerProcess.class));
    private volatile int open;
    private volatile long served;
    private final AtomicLong handedOver = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();

    /**
     * @param startedNanos when it was spawned, on the loop's clock
     * @param maxServed    connections after which it is recycled (with its jitter), 0 for never
     */
    public WorkerProcess(int id, int generation, long pid, long startedNanos, long maxServed) {
        this.id = id;
        this.generation = generation;
        this.pid = pid;
        this.startedNanos = startedNanos;
        this.lastHeartbeatNanos = startedNanos;
        this.maxServed = maxServed;
    }

    public int id() { return id; }

    public int generation() { return generation; }

    public long pid() { return pid; }

    public long startedNanos() { return startedNanos; }

    public State state() { return state; }

    /** The loop's door to the lifecycle; nothing else calls it. */
    public void state(State next, long nowNanos) {
        if (next instanceof State.Ready && readyNanos == 0) readyNanos = nowNanos;
        state = next;
    }

    /** Whether it ever reported ready: a worker that dies before that failed to start. */
    public boolean wasEverReady() { return readyNanos != 0; }

    public long readyNanos() { return readyNanos; }

    public MessageLink link() { return link; }

    void link(MessageLink l) { link = l; }

    /** Takes connections now: ready, or retiring but not yet replaced. */
    public boolean isReady() { return state instanceof State.Ready || state instanceof State.Retiring; }

    public boolean isRetiring() { return state instanceof State.Retiring; }

    public long nextSeq() { return seq.incrementAndGet(); }

    /**
     * Load for dispatch: what the worker last said it holds plus what is on its way to it. Never below the truth
     * (see {@link #accepted}); above it by the connections that finished since the worker last reported, until its
     * next acknowledgement or heartbeat. So a worker that holds its connections long, or is slow, looks busy until it
     * says otherwise, instead of looking idle.
     */
    public int load() { return open + inFlight.get(); }

    /** Counts a handoff before it is sent (the acknowledgement may arrive before the send returns). */
    public void sent(int count) {
        if (inFlight.getAndAdd(count) == 0) handoffProgressNanos = System.nanoTime();
        handedOver.addAndGet(count);
    }

    /** Undoes {@link #sent} for a send that did not happen. */
    public void unsent(int count) {
        inFlight.addAndGet(-count);
        handedOver.addAndGet(-count);
    }

    /**
     * The worker took {@code count} connections and now holds {@code open}: the open count is updated before the
     * in-flight count drops, so a dispatcher reading in between counts them twice rather than not at all.
     */
    void accepted(int count, int open) {
        this.open = open;
        handoffProgressNanos = System.nanoTime();
        inFlight.addAndGet(-count);
    }

    /** The worker gave {@code count} connections back: they are no longer on their way to it. */
    void refused(int count) {
        handoffProgressNanos = System.nanoTime();
        inFlight.addAndGet(-count);
    }

    /** Found stalled by {@link #isStalled} and not yet seen to catch up. */
    public boolean wasStalled() { return stalled.isOn(); }

    /**
     * Not taking what it is sent: handoffs unacknowledged for {@code ackMillis} (a worker acknowledges within
     * milliseconds, as soon as it has adopted the fds), or no heartbeat for {@code heartbeatMillis}. Such a worker is
     * stopped (SIGSTOP), stuck, or starved; connections sent to it would wait until it resumes or is killed as hung,
     * so the dispatcher sends it nothing meanwhile. Logged once per episode.
     */
    public boolean isStalled(long ackMillis, long heartbeatMillis) {
        long unacked = inFlight.get() > 0 ? (System.nanoTime() - handoffProgressNanos) / 1_000_000 : 0;
        long silent = millisSinceHeartbeat();
        if (unacked > ackMillis || silent > heartbeatMillis) {
            stalled.seen("worker stalled {} unacknowledged_ms={} in_flight={} since_heartbeat_ms={}; sending it "
                    + "nothing until it catches up", this, unacked, inFlight.get(), silent);
            return true;
        }
        stalled.clear("worker caught up {}", this);
        return false;
    }

    /** A heartbeat (or the drain report) arrived at {@code nowNanos}: what the worker holds and has served. */
    public void reported(int open, long served, long nowNanos) {
        this.open = open;
        this.served = served;
        lastHeartbeatNanos = nowNanos;
    }

    /** Proof of life without figures (its Ready message). */
    public void heard(long nowNanos) { lastHeartbeatNanos = nowNanos; }

    public long lastHeartbeatNanos() { return lastHeartbeatNanos; }

    /** Called by the link reader with the worker's datagram counters. */
    public void datagrams(io.handoff.protocol.Message.DatagramStats stats) { datagrams = stats; }

    /** The last datagram counters reported, or null. */
    public io.handoff.protocol.Message.DatagramStats datagrams() { return datagrams; }

    public long millisSinceHeartbeat() { return (System.nanoTime() - lastHeartbeatNanos) / 1_000_000; }

    public int inFlight() { return inFlight.get(); }

    public long handedOver() { return handedOver.get(); }

    public int open() { return open; }

    public long served() { return served; }

    /** The connection count after which this worker is recycled (with its jitter), or 0 for never. */
    public long maxServed() { return maxServed; }

    @Override
    public String toString() { return "worker=" + id + " pid=" + pid + " gen=" + generation; }
}

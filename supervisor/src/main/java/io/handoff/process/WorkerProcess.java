package io.handoff.process;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.handoff.engine.Episode;
import io.handoff.protocol.MessageLink;

/**
 * The supervisor's view of one worker process: its id and generation, its process, its link once it connected
 * back, and what it reported. Written by its link reader and the supervisor loop, read by the dispatcher.
 *
 * <p>Lifecycle: BOOTING (spawned, not ready) → READY (takes connections) → DRAINING (told to stop; finishes what it
 * holds) → GONE (exited). A READY worker may be marked for retirement ({@link #retire(String)}): it keeps serving
 * until its replacement is ready, then the loop drains it.
 */
public final class WorkerProcess {
    public enum State { BOOTING, READY, DRAINING, GONE }

    private final int id;
    private final int generation;
    private final Process process;
    private final long startedNanos = System.nanoTime();
    private final long maxServed;
    private volatile State state = State.BOOTING;
    private volatile MessageLink link;
    private volatile String retireReason;
    private volatile long lastHeartbeatNanos = System.nanoTime();
    private volatile long drainDeadlineNanos;
    private volatile long hungSinceNanos;
    /** Connections sent and not yet acknowledged: they exist only in the link's socket buffer. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Last acknowledgement or refusal, or the send that found nothing in flight: progress on the handoffs. */
    private volatile long handoffProgressNanos = System.nanoTime();
    private final Episode stalled = new Episode(org.slf4j.LoggerFactory.getLogger(WorkerProcess.class));
    private volatile int open;
    private volatile long served;
    private final AtomicLong handedOver = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();

    WorkerProcess(int id, int generation, Process process, long maxServed) {
        this.id = id;
        this.generation = generation;
        this.process = process;
        this.maxServed = maxServed;
    }

    public int id() { return id; }

    public int generation() { return generation; }

    public long pid() { return process.pid(); }

    public Process process() { return process; }

    public State state() { return state; }

    void state(State s) { state = s; }

    public MessageLink link() { return link; }

    void link(MessageLink l) { link = l; }

    public boolean isReady() { return state == State.READY; }

    public long ageMillis() { return (System.nanoTime() - startedNanos) / 1_000_000; }

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

    /**
     * Not taking what it is sent: handoffs unacknowledged for {@code ackMillis} (a worker acknowledges within
     * milliseconds, as soon as it has adopted the fds), or no heartbeat for {@code heartbeatMillis}. Such a worker is
     * stopped (SIGSTOP), stuck, or starved; connections sent to it would wait until it resumes or is killed as hung,
     * so the dispatcher sends it nothing meanwhile. Logged once per episode.
     */
    /** Found stalled by {@link #isStalled} and not yet seen to catch up. */
    public boolean wasStalled() { return stalled.isOn(); }

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

    void reported(int open, long served) {
        this.open = open;
        this.served = served;
        lastHeartbeatNanos = System.nanoTime();
        hungSinceNanos = 0;
    }

    void heartbeatNow() { lastHeartbeatNanos = System.nanoTime(); }

    public long millisSinceHeartbeat() { return (System.nanoTime() - lastHeartbeatNanos) / 1_000_000; }

    public int inFlight() { return inFlight.get(); }

    public long handedOver() { return handedOver.get(); }

    public int open() { return open; }

    public long served() { return served; }

    /** The connection count after which this worker is recycled (with its jitter), or 0 for never. */
    public long maxServed() { return maxServed; }

    /** Marks the worker to be replaced; it keeps serving until a replacement is ready. First reason wins. */
    public void retire(String reason) {
        if (retireReason == null) retireReason = reason;
    }

    public boolean isRetiring() { return retireReason != null; }

    public String retireReason() { return retireReason; }

    public void draining(long deadlineNanos) {
        drainDeadlineNanos = deadlineNanos;
        state = State.DRAINING;
    }

    public long drainDeadlineNanos() { return drainDeadlineNanos; }

    /** It was told to stop (retired, reloaded, hung): its exit is expected, not a crash. */
    public boolean wasDrained() { return drainDeadlineNanos != 0; }

    /** When the loop first found it hung (0: not hung). */
    public long hungSinceNanos() { return hungSinceNanos; }

    public void hungSince(long nanos) { hungSinceNanos = nanos; }

    @Override
    public String toString() { return "worker=" + id + " pid=" + pid() + " gen=" + generation; }
}

package io.handoff.process;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.handoff.protocol.MessageLink;

/**
 * The supervisor's view of one worker process: its slot, its process, its link once it connected back, and the
 * load it reported. Written by the link reader and the loop, read by the dispatcher.
 */
public final class WorkerProcess {
    public enum State { BOOTING, READY, STOPPING, GONE }

    private final int slot;
    private final Process process;
    private final long startedNanos = System.nanoTime();
    private volatile State state = State.BOOTING;
    private volatile MessageLink link;
    /** Connections sent and not yet acknowledged: they exist only in the link's socket buffer. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile int open;
    private volatile long served;
    private final AtomicLong handedOver = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();

    WorkerProcess(int slot, Process process) {
        this.slot = slot;
        this.process = process;
    }

    public int slot() { return slot; }

    public long pid() { return process.pid(); }

    public Process process() { return process; }

    public State state() { return state; }

    void state(State s) { state = s; }

    public MessageLink link() { return link; }

    void link(MessageLink l) { link = l; }

    public boolean isReady() { return state == State.READY; }

    public long ageMillis() { return (System.nanoTime() - startedNanos) / 1_000_000; }

    public long nextSeq() { return seq.incrementAndGet(); }

    /** Load for dispatch: what the worker last said it holds plus what is on its way to it. */
    public int load() { return open + inFlight.get(); }

    public void sent(int count) {
        inFlight.addAndGet(count);
        handedOver.addAndGet(count);
    }

    /** Undoes {@link #sent} for a send that did not happen. */
    public void unsent(int count) {
        inFlight.addAndGet(-count);
        handedOver.addAndGet(-count);
    }

    void acknowledged(int count) { inFlight.addAndGet(-count); }

    void reported(int open, long served) {
        this.open = open;
        this.served = served;
    }

    public int inFlight() { return inFlight.get(); }

    public long handedOver() { return handedOver.get(); }

    public int open() { return open; }

    public long served() { return served; }

    @Override
    public String toString() { return "worker=" + slot + " pid=" + pid(); }
}

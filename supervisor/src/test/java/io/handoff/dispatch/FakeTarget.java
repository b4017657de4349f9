package io.handoff.dispatch;

import java.util.ArrayList;
import java.util.List;

/** A worker with set numbers that records what it is sent and refuses sends once its budget of successes is spent. */
final class FakeTarget implements HandoffTarget {
    int load;
    int inFlight;
    boolean stalled;
    /** Sends that succeed before every further one fails; unlimited by default. */
    int sendsThatSucceed = Integer.MAX_VALUE;
    final List<List<Pending>> sent = new ArrayList<>();

    FakeTarget(int load) { this.load = load; }

    FakeTarget stalled() {
        stalled = true;
        return this;
    }

    @Override
    public int load() { return load; }

    @Override
    public int inFlight() { return inFlight; }

    @Override
    public boolean isStalled(long ackMillis, long heartbeatMillis) { return stalled; }

    @Override
    public boolean wasStalled() { return stalled; }

    @Override
    public boolean send(List<Pending> batch) {
        if (sent.size() >= sendsThatSucceed) return false;
        sent.add(List.copyOf(batch));
        return true;
    }
}

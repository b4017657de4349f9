package io.handoff.dispatch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.process.WorkerProcess;
import io.handoff.protocol.Message.Family;
import io.handoff.protocol.Message.Handoff;
import io.handoff.unix.Fd;

/** A pool worker as a handoff target: its load, and sending it connections over its link, counted as in flight. */
final class LinkedWorker implements HandoffTarget {
    private static final Logger log = LoggerFactory.getLogger(LinkedWorker.class);

    private final WorkerProcess worker;

    LinkedWorker(WorkerProcess worker) { this.worker = worker; }

    @Override
    public int load() { return worker.load(); }

    @Override
    public int inFlight() { return worker.inFlight(); }

    @Override
    public boolean isStalled(long ackMillis, long heartbeatMillis) {
        return worker.isStalled(ackMillis, heartbeatMillis);
    }

    @Override
    public boolean wasStalled() { return worker.wasStalled(); }

    @Override
    public boolean send(List<Pending> batch) {
        List<Fd> fds = new ArrayList<>(batch.size());
        List<Family> families = new ArrayList<>(batch.size());
        List<byte[]> peers = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            fds.add(p.fd());
            families.add(p.family());
            peers.add(p.peer());
        }
        var link = worker.link();
        if (link == null) return false;
        // Counted before the send: the worker's acknowledgement may arrive before trySend returns.
        worker.sent(fds.size());
        try {
            if (!link.trySend(new Handoff(worker.nextSeq(), families, peers, fds))) {
                worker.unsent(fds.size());
                return false;
            }
        } catch (IOException e) {
            worker.unsent(fds.size());
            log.warn("handoff to {} failed error={}; re-routing {} connections", worker, e.getMessage(), fds.size());
            link.abort();
            return false;
        }
        for (Fd fd : fds) fd.close(); // the worker has its own copy now
        return true;
    }

    @Override
    public String toString() { return worker.toString(); }
}

package io.handoff.dispatch;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.listen.Listener;
import io.handoff.process.WorkerProcess;
import io.handoff.protocol.Message.Family;
import io.handoff.protocol.Message.Handoff;
import io.handoff.protocol.Message.Refused;
import io.handoff.unix.Fd;
import io.handoff.unix.NativeException;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * The fork model's accept-and-send loop ({@code --dispatch handoff} and {@code round-robin}), on one thread. It
 * drains every pending connection from the listeners as raw fds, gives each to the ready worker its
 * {@link Balancer} picks, and sends them in batches (one sendmsg per worker carries up
 * to 253 fds), closing its own copy as soon as a send succeeds: from then on a connection exists only in a worker.
 *
 * <p>Accounting: an accepted fd is always in exactly one place: the pending queue here, a link's socket buffer
 * (counted as the worker's in-flight until it acknowledges), or a worker. Sends never block; a worker whose link is
 * full is skipped, and refused connections come back through {@link #reroute}. While connections are pending and
 * no worker can take them, accepting pauses, so the kernel backlog holds the rest.
 */
public final class Dispatcher implements Distribution {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final int MAX_PENDING = 4 * UnixLink.MAX_FDS;
    private static final long RETRY_MILLIS = 2;

    private final List<Listener> listeners;
    private final Supplier<WorkerProcess[]> readyWorkers;
    private final Balancer balancer;
    /** Told when the loop dies: the supervisor must stop rather than keep clients waiting in the backlog. */
    private final Runnable onFailure;
    private final Selector selector;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Pending> rerouted = new ConcurrentLinkedQueue<>();
    private final Sockets.BatchAcceptor acceptor = new Sockets.BatchAcceptor();
    private final List<Fd> acceptedFds = new ArrayList<>();
    private final List<byte[]> acceptedPeers = new ArrayList<>();
    private volatile boolean running = true;
    private volatile long flushDeadline;
    private volatile boolean closing;
    private boolean listenersClosed;
    private Thread thread;

    private record Pending(Fd fd, Family family, byte[] peer) {}

    public Dispatcher(List<Listener> listeners, Supplier<WorkerProcess[]> readyWorkers, Balancer balancer,
            Runnable onFailure)
            throws IOException {
        this.onFailure = onFailure;
        this.listeners = listeners;
        this.readyWorkers = readyWorkers;
        this.balancer = balancer;
        this.selector = Selector.open();
        for (Listener l : listeners) {
            l.channel().configureBlocking(false);
            l.channel().register(selector, SelectionKey.OP_ACCEPT, l);
        }
    }

    @Override
    public void start() {
        thread = Thread.ofPlatform().name("dispatch").start(this::run);
    }

    /** Nothing to do: every batch reads the pool's ready workers afresh. */
    @Override
    public void add(WorkerProcess worker) {}

    /** Nothing to do: the pool no longer lists it as ready, so no batch goes to it. */
    @Override
    public void remove(WorkerProcess worker) {}

    /** Connections a worker gave back: they go to another worker. Takes ownership of the fds. */
    @Override
    public void reroute(Refused r) {
        for (int i = 0; i < r.fds().size(); i++) {
            rerouted.add(new Pending(r.fds().get(i), r.families().get(i), r.peers().get(i)));
        }
        selector.wakeup();
    }

    private void run() {
        try {
            while (running) {
                selector.select(pending.isEmpty() && !closing ? 0 : RETRY_MILLIS);
                // (Fail loudly below rather than limp: a dispatcher that stopped would leave every client waiting.)
                if (closing && stopAccepting()) break;
                for (Pending p; (p = rerouted.poll()) != null; ) pending.add(p);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isValid() && key.isAcceptable()) acceptFrom((Listener) key.attachment());
                }
                if (!pending.isEmpty()) dispatchPending();
                pauseAcceptingWhileFull();
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                log.error("dispatcher failed; stopping the supervisor, as no connection could be handed over", e);
                onFailure.run();
            }
        }
    }

    /** Returns true when the loop may end: listeners closed and nothing left to hand over (or out of time). */
    private boolean stopAccepting() {
        if (!listenersClosed) {
            // Take what the kernel already queued before closing: closing a listener resets its queued connections.
            listeners.forEach(l -> Sockets.stopAdmitting(l.channel()));
            for (SelectionKey key : selector.keys()) {
                if (key.isValid()) acceptFrom((Listener) key.attachment());
                key.cancel();
            }
            listeners.forEach(Listener::close);
            listenersClosed = true;
        }
        for (Pending p; (p = rerouted.poll()) != null; ) pending.add(p);
        if (!pending.isEmpty()) dispatchPending();
        return pending.isEmpty() || System.nanoTime() > flushDeadline;
    }

    private void acceptFrom(Listener listener) {
        Family family = Family.of(listener.family());
        int room = MAX_PENDING - pending.size();
        if (room <= 0) return;
        acceptedFds.clear();
        acceptedPeers.clear();
        try {
            acceptor.accept(listener.channel(), acceptedFds, acceptedPeers, room);
        } catch (NativeException e) {
            // EMFILE and friends: the connection stays in the backlog; retry after the pending ones went out.
            log.warn("accept failed on {} error={}", listener.describe(), e.getMessage());
        }
        for (int i = 0; i < acceptedFds.size(); i++) {
            pending.add(new Pending(acceptedFds.get(i), family, acceptedPeers.get(i)));
        }
    }

    private void pauseAcceptingWhileFull() {
        int ops = pending.size() >= MAX_PENDING ? 0 : SelectionKey.OP_ACCEPT;
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.interestOps() != ops) key.interestOps(ops);
        }
    }

    /**
     * Assigns each pending connection to the ready worker the balancer picks (given each one's load: open + in
     * flight, counting what this round already assigned), then sends one batch per worker.
     */
    private void dispatchPending() {
        WorkerProcess[] workers = readyWorkers.get();
        if (workers.length == 0) return;
        int n = workers.length;
        int[] load = new int[n];
        for (int i = 0; i < n; i++) load[i] = workers[i].load();
        @SuppressWarnings("unchecked")
        List<Pending>[] batches = new List[n];
        int take = Math.min(pending.size(), n * UnixLink.MAX_FDS);
        for (int k = 0; k < take; k++) {
            int best = balancer.pick(load);
            load[best]++;
            if (batches[best] == null) batches[best] = new ArrayList<>();
            batches[best].add(pending.poll());
        }
        for (int i = 0; i < n; i++) {
            List<Pending> batch = batches[i];
            if (batch == null) continue;
            // One message carries at most 253 fds; a worker may have been given more than that this round.
            for (int from = 0; from < batch.size(); from += UnixLink.MAX_FDS) {
                List<Pending> chunk = batch.subList(from, Math.min(batch.size(), from + UnixLink.MAX_FDS));
                if (!send(workers[i], chunk)) {
                    // This chunk and the rest back to the front, in order: the next round tries another worker.
                    for (int j = batch.size() - 1; j >= from; j--) pending.addFirst(batch.get(j));
                    break;
                }
            }
        }
    }

    private boolean send(WorkerProcess worker, List<Pending> batch) {
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

    /**
     * Closes the listeners, hands what is already pending to the workers for up to {@code flush}, and ends the loop.
     * Connections still pending after that are closed (their clients see the connection end).
     */
    @Override
    public void stop(java.time.Duration flush) {
        flushDeadline = System.nanoTime() + flush.toNanos();
        closing = true;
        selector.wakeup();
        if (thread != null) {
            try {
                thread.join(flush.toMillis() + 2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running = false;
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing the selector cannot fail usefully
        }
        listeners.forEach(Listener::close);
        for (Pending p : pending) p.fd().close();
        for (Pending p; (p = rerouted.poll()) != null; ) p.fd().close();
        pending.clear();
    }
}

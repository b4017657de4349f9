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

import io.handoff.engine.Episode;
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
 * {@link WorkerPicker} picks, and sends them in batches (one sendmsg per worker carries up
 * to 253 fds), closing its own copy as soon as a send succeeds: from then on a connection exists only in a worker.
 *
 * <p>Accounting: an accepted fd is always in exactly one place: the pending queue here, a link's socket buffer
 * (counted as the worker's in-flight until it acknowledges), or a worker. Sends never block; a worker whose link is
 * full is skipped, and refused connections come back through {@link #reroute}.
 *
 * <p>Capacity: it accepts only what a ready worker has room for (below {@code --worker-connections}) and what keeps
 * the total, open plus pending, below {@code --max-connections}; otherwise it stops accepting until a slot frees and
 * the kernel's listen backlog holds the rest. An accept that fails (EMFILE at the fd limit, ENFILE, ENOBUFS) pauses
 * accepting for a moment instead of spinning on a listener that stays readable. Both are logged once per episode.
 */
public final class HandoffLoop implements DispatchMode {
    private static final Logger log = LoggerFactory.getLogger(HandoffLoop.class);
    private static final int MAX_PENDING = 4 * UnixLink.MAX_FDS;
    private static final long RETRY_MILLIS = 2;
    /** How often a paused dispatcher looks again: workers report finished connections within 10 ms. */
    private static final long PAUSED_POLL_MILLIS = 5;
    private static final long ACCEPT_ERROR_BACKOFF_NANOS = java.time.Duration.ofMillis(100).toNanos();
    private static final long WATCH_MILLIS = 100;
    /** A worker that has not acknowledged a handoff for this long gets nothing more until it does. */
    private static final long STALL_ACK_MILLIS = 500;
    /** Heartbeats come every second; a worker that missed more than two gets nothing more until one arrives. */
    private static final long STALL_HEARTBEAT_MILLIS = 2500;

    private final List<Listener> listeners;
    private final Supplier<WorkerProcess[]> readyWorkers;
    private final Supplier<List<WorkerProcess>> allWorkers;
    private final Limits limits;
    private final WorkerPicker picker;
    /** Told when the loop dies: the supervisor must stop rather than keep clients waiting in the backlog. */
    private final Runnable onFailure;
    private final Selector selector;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Pending> rerouted = new ConcurrentLinkedQueue<>();
    private final Sockets.BatchAcceptor acceptor = new Sockets.BatchAcceptor();
    private final List<Fd> acceptedFds = new ArrayList<>();
    private final List<byte[]> acceptedPeers = new ArrayList<>();
    private final Episode atCapacity = new Episode(log);
    private final Episode acceptFailing = new Episode(log);
    /** When accepting may be tried again after a failure; 0 when it is not failing. */
    private long acceptRetryAtNanos;
    private boolean accepting = true;
    /** Ready workers that are not stalled, as of the last {@link #room()}. */
    private int responsiveWorkers;
    private volatile boolean running = true;
    private volatile long flushDeadline;
    private volatile boolean closing;
    private boolean listenersClosed;
    private Thread thread;

    private record Pending(Fd fd, Family family, byte[] peer) {}

    /**
     * @param maxConnections    connections open in all workers plus pending here, at most
     * @param workerConnections connections one worker holds or has on the way, at most
     * @param maxPending        accepted connections waiting here for a worker, at most (each costs the supervisor an
     *                          fd until it is sent)
     */
    public record Limits(int maxConnections, int workerConnections, int maxPending) {
        /** {@code maxPending} fitted to the supervisor's fd limit: at most half of it, at most 4 full batches. */
        public static Limits of(int maxConnections, int workerConnections, long fdLimit) {
            long half = Math.max(16, (fdLimit - io.handoff.supervisor.FdBudget.RESERVE) / 2);
            return new Limits(maxConnections, workerConnections, (int) Math.min(MAX_PENDING, half));
        }
    }

    /**
     * @param readyWorkers the workers that take connections now, in a stable order
     * @param allWorkers   every worker, draining ones included: their connections count against max-connections
     */
    public HandoffLoop(List<Listener> listeners, Supplier<WorkerProcess[]> readyWorkers,
            Supplier<List<WorkerProcess>> allWorkers, WorkerPicker picker, Limits limits, Runnable onFailure)
            throws IOException {
        this.onFailure = onFailure;
        this.listeners = listeners;
        this.readyWorkers = readyWorkers;
        this.allWorkers = allWorkers;
        this.limits = limits;
        this.picker = picker;
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
                selector.select(selectTimeoutMillis());
                // (Fail loudly below rather than limp: a dispatcher that stopped would leave every client waiting.)
                if (closing && stopAccepting()) break;
                for (Pending p; (p = rerouted.poll()) != null; ) pending.add(p);
                int room = room();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isValid() && key.isAcceptable()) room -= acceptFrom((Listener) key.attachment(), room);
                }
                if (!pending.isEmpty()) dispatchPending();
                acceptOnlyWithRoom();
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
                if (key.isValid()) acceptFrom((Listener) key.attachment(), limits.maxPending() - pending.size());
                key.cancel();
            }
            listeners.forEach(Listener::close);
            listenersClosed = true;
        }
        for (Pending p; (p = rerouted.poll()) != null; ) pending.add(p);
        if (!pending.isEmpty()) dispatchPending();
        return pending.isEmpty() || System.nanoTime() > flushDeadline;
    }

    /** Accepts up to {@code room} connections; returns how many. */
    private int acceptFrom(Listener listener, int room) {
        Family family = Family.of(listener.family());
        if (room <= 0) return 0;
        acceptedFds.clear();
        acceptedPeers.clear();
        try {
            // A client gone before its first byte (a connect-then-close flood) costs one peek here, not a handoff.
            acceptor.accept(listener.channel(), acceptedFds, acceptedPeers, room, listener.deferred());
            acceptRetryAtNanos = 0;
            acceptFailing.clear("accept works again on {} open={}", listener.describe(), open());
        } catch (NativeException e) {
            // The connection stays in the backlog. Retrying at once would spin: the listener stays readable.
            acceptRetryAtNanos = System.nanoTime() + ACCEPT_ERROR_BACKOFF_NANOS;
            boolean fds = e.isOutOfFds();
            acceptFailing.seen("accept failing on {} error={} open={}; retrying every {}ms{}", listener.describe(),
                    e.getMessage(), open(), ACCEPT_ERROR_BACKOFF_NANOS / 1_000_000,
                    fds ? " (out of fds: raise ulimit -n or lower --max-connections)" : "");
        }
        for (int i = 0; i < acceptedFds.size(); i++) {
            pending.add(new Pending(acceptedFds.get(i), family, acceptedPeers.get(i)));
        }
        return acceptedFds.size();
    }

    /** Connections in all workers (open or on their way) plus the ones pending here. */
    private long open() {
        long open = pending.size();
        for (WorkerProcess w : allWorkers.get()) open += w.load();
        return open;
    }

    /**
     * How many more connections may be accepted now: what the ready workers have room for (less what is already
     * pending for them), within max-connections and the pending limit.
     */
    private int room() {
        long free = 0;
        responsiveWorkers = 0;
        for (WorkerProcess w : readyWorkers.get()) {
            if (!w.isStalled(STALL_ACK_MILLIS, STALL_HEARTBEAT_MILLIS)) {
                responsiveWorkers++;
                free += Math.max(0, limits.workerConnections() - w.load());
            }
        }
        // Pending connections count against the workers' free slots, the global maximum (open() has them) and the
        // pending limit alike.
        long room = Math.min(Math.min(free - pending.size(), limits.maxConnections() - open()),
                limits.maxPending() - pending.size());
        return (int) Math.max(0, room);
    }

    /**
     * Listens for new connections only while there is room for them and accept is not backing off after a
     * failure; logs the start and end of an episode at capacity.
     */
    private void acceptOnlyWithRoom() {
        boolean backingOff = acceptRetryAtNanos != 0 && System.nanoTime() < acceptRetryAtNanos;
        int room = room();
        // Full, as opposed to waiting for a worker to boot or catch up, or for the pending ones to go out.
        boolean full = room == 0 && responsiveWorkers > 0 && pending.size() < limits.maxPending();
        if (full) {
            atCapacity.seen("at capacity open={} max={} worker_connections={} ready_workers={}; new connections "
                    + "wait in the listen backlog", open(), limits.maxConnections(), limits.workerConnections(),
                    responsiveWorkers);
        } else if (room > 0) {
            atCapacity.clear("accepting again open={} max={}", open(), limits.maxConnections());
        }
        accepting = room > 0 && !backingOff;
        int ops = accepting ? SelectionKey.OP_ACCEPT : 0;
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.interestOps() != ops) key.interestOps(ops);
        }
    }

    private long selectTimeoutMillis() {
        if (closing || !pending.isEmpty()) return RETRY_MILLIS;
        if (acceptRetryAtNanos != 0 && !accepting) {
            long left = (acceptRetryAtNanos - System.nanoTime()) / 1_000_000;
            if (left > 0) return Math.min(left, ACCEPT_ERROR_BACKOFF_NANOS / 1_000_000);
        }
        if (!accepting) return PAUSED_POLL_MILLIS;
        // Handoffs awaiting acknowledgement: look again soon, so a worker that stalls is noticed (and one that
        // catches up is told apart) without waiting for the next client.
        for (WorkerProcess w : readyWorkers.get()) {
            if (w.inFlight() > 0 || w.wasStalled()) return WATCH_MILLIS;
        }
        // An episode still open is logged as over once it has been quiet long enough, even if no client comes.
        return atCapacity.isOn() || acceptFailing.isOn() ? Episode.QUIET.toMillis() : 0;
    }

    /**
     * Assigns each pending connection to the ready worker the picker picks (given each one's load: open + in
     * flight, counting what this round already assigned), then sends one batch per worker.
     */
    private void dispatchPending() {
        WorkerProcess[] workers = readyWorkers.get();
        if (workers.length == 0) return;
        int n = workers.length;
        int[] load = new int[n];
        for (int i = 0; i < n; i++) {
            // A stalled worker counts as full: the picker never picks it.
            boolean stalled = workers[i].isStalled(STALL_ACK_MILLIS, STALL_HEARTBEAT_MILLIS);
            load[i] = stalled ? Math.max(workers[i].load(), limits.workerConnections()) : workers[i].load();
        }
        @SuppressWarnings("unchecked")
        List<Pending>[] batches = new List[n];
        int take = Math.min(pending.size(), n * UnixLink.MAX_FDS);
        for (int k = 0; k < take; k++) {
            int best = picker.pick(load, limits.workerConnections());
            if (best < 0) break; // every worker is full: the rest wait here for a slot
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
    /** Clients gone before their request (see {@link Sockets.BatchAcceptor#accept}): a connect flood shows here. */
    @Override
    public java.util.Map<String, Object> counters() {
        return java.util.Map.of("gone_before_request", acceptor.droppedSilentlyGone());
    }

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

package io.handoff.dispatch;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
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
import io.handoff.protocol.Message.Refused;
import io.handoff.unix.Fd;
import io.handoff.unix.NativeException;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * The fork model's accept-and-send loop ({@code --dispatch least-loaded} and {@code round-robin}), on one thread. It
 * drains every pending connection from the listeners as raw fds, gives each to the ready worker its
 * {@link WorkerPicker} picks, and sends them in batches ({@link Handover}: one sendmsg per worker carries up to 253
 * fds), closing its own copy as soon as a send succeeds: from then on a connection exists only in a worker.
 *
 * <p>Accounting: an accepted fd is always in exactly one place: the pending queue here, a link's socket buffer
 * (counted as the worker's in-flight until it acknowledges), or a worker. Sends never block; a worker whose link is
 * full is skipped, and refused connections come back through {@link #reroute}.
 *
 * <p>Capacity: it accepts only what {@link Admission} allows (room in a ready worker, within
 * {@code --max-connections}); otherwise it stops accepting until a slot frees and the kernel's listen backlog holds
 * the rest. An accept that fails (EMFILE at the fd limit, ENFILE, ENOBUFS) pauses accepting for a moment instead of
 * spinning on a listener that stays readable. Both are logged once per episode.
 */
public final class HandoffLoop implements DispatchMode {
    private static final Logger log = LoggerFactory.getLogger(HandoffLoop.class);
    private static final int MAX_PENDING = 4 * UnixLink.MAX_FDS;
    private static final long RETRY_MILLIS = 2;
    /** How often a paused dispatcher looks again: workers report finished connections within 10 ms. */
    private static final long PAUSED_POLL_MILLIS = 5;
    private static final long ACCEPT_ERROR_BACKOFF_NANOS = java.time.Duration.ofMillis(100).toNanos();
    private static final long WATCH_MILLIS = 100;

    private final List<Listener> listeners;
    private final Supplier<WorkerProcess[]> readyWorkers;
    private final Supplier<List<WorkerProcess>> allWorkers;
    private final Admission admission;
    private final Handover handover;
    /** Told when the loop dies: the supervisor must stop rather than keep clients waiting in the backlog. */
    private final Runnable onFailure;
    private final Selector selector;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Pending> rerouted = new ConcurrentLinkedQueue<>();
    private final Sockets.BatchAcceptor acceptor = new Sockets.BatchAcceptor();
    private final List<Fd> acceptedFds = new ArrayList<>();
    private final List<byte[]> acceptedPeers = new ArrayList<>();
    private final Episode acceptFailing = new Episode(log);
    /** When accepting may be tried again after a failure; 0 when it is not failing. */
    private long acceptRetryAtNanos;
    private boolean accepting = true;
    /** The pool's ready and all-workers lists last seen, and the same workers as handoff targets. Loop only. */
    private WorkerProcess[] readySeen;
    private HandoffTarget[] readyTargets;
    private List<WorkerProcess> allSeen;
    private List<HandoffTarget> allTargets = List.of();
    private volatile boolean running = true;
    private volatile long flushDeadline;
    private volatile boolean closing;
    private boolean listenersClosed;
    private Thread thread;

    /**
     * @param maxConnections    connections open in all workers plus pending here, at most
     * @param workerConnections connections one worker holds or has on the way, at most
     * @param maxPending        accepted connections waiting here for a worker, at most (each costs the supervisor an
     *                          fd until it is sent)
     */
    public record Limits(int maxConnections, int workerConnections, int maxPending) {
        /**
         * {@code maxPending} fitted to the supervisor's fds: at most half of those it can spare, at most 4 full
         * batches.
         *
         * @param spareFds the supervisor's fd limit less what it holds besides connections
         */
        public static Limits of(int maxConnections, int workerConnections, long spareFds) {
            long half = Math.max(16, spareFds / 2);
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
        this.admission = new Admission(limits);
        this.handover = new Handover(picker, limits.workerConnections());
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
                int room = admission.room(ready(), all(), pending.size());
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
                if (key.isValid()) {
                    acceptFrom((Listener) key.attachment(), admission.limits().maxPending() - pending.size());
                }
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
    private long open() { return Admission.open(all(), pending.size()); }

    /** The pool's ready workers as handoff targets, wrapped again only when the pool publishes a new list. */
    private HandoffTarget[] ready() {
        WorkerProcess[] now = readyWorkers.get();
        if (now != readySeen) {
            readyTargets = Arrays.stream(now).map(LinkedWorker::new).toArray(HandoffTarget[]::new);
            readySeen = now;
        }
        return readyTargets;
    }

    /** Every worker as a target, wrapped again only when the pool publishes a new list (the loop runs this often). */
    private List<HandoffTarget> all() {
        List<WorkerProcess> now = allWorkers.get();
        if (now != allSeen) {
            allTargets = now.stream().<HandoffTarget>map(LinkedWorker::new).toList();
            allSeen = now;
        }
        return allTargets;
    }

    /**
     * Listens for new connections only while there is room for them and accept is not backing off after a
     * failure; logs the start and end of an episode at capacity.
     */
    private void acceptOnlyWithRoom() {
        boolean backingOff = acceptRetryAtNanos != 0 && System.nanoTime() < acceptRetryAtNanos;
        int room = admission.review(ready(), all(), pending.size());
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
        if (Admission.watching(ready())) return WATCH_MILLIS;
        // An episode still open is logged as over once it has been quiet long enough, even if no client comes.
        return admission.atCapacity() || acceptFailing.isOn() ? Episode.QUIET.toMillis() : 0;
    }

    private void dispatchPending() {
        HandoffTarget[] workers = ready();
        if (workers.length == 0) return;
        handover.send(pending, workers, admission.loads(workers));
    }

    /** Clients gone before their request (see {@link Sockets.BatchAcceptor#accept}): a connect flood shows here. */
    @Override
    public java.util.Map<String, Object> counters() {
        return java.util.Map.of("gone_before_request", acceptor.droppedSilentlyGone());
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

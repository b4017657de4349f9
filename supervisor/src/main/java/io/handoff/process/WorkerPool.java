package io.handoff.process;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.AcceptGate;
import io.handoff.engine.Episode;
import io.handoff.protocol.Message;
import io.handoff.protocol.Message.Accepted;
import io.handoff.protocol.Message.Drained;
import io.handoff.protocol.Message.Heartbeat;
import io.handoff.protocol.Message.Ready;
import io.handoff.protocol.Message.Refused;
import io.handoff.protocol.Message.Stop;
import io.handoff.protocol.MessageLink;
import io.handoff.supervisor.ServeConfig;
import io.handoff.unix.PeerCredentials;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * The worker processes: spawns them, lets each connect back over a private Unix socket (verified by peer
 * credentials: our uid and the pid we spawned), reads their links, and stops them. State changes are reported to
 * {@link PoolEvents}; the supervisor's loop decides what follows.
 */
public final class WorkerPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private final ServeConfig config;
    private final PoolEvents events;
    private final List<WorkerProcess> workers = new CopyOnWriteArrayList<>();
    private volatile WorkerProcess[] ready = new WorkerProcess[0];
    private Path runtimeDir;
    private Path linkPath;
    private ServerSocketChannel linkServer;
    private final int uid = Sockets.geteuid();

    public WorkerPool(ServeConfig config, PoolEvents events) {
        this.config = config;
        this.events = events;
    }

    /** Creates the private rendezvous socket (in a fresh 0700 directory) and starts accepting worker links. */
    public void start() throws IOException {
        runtimeDir = Files.createTempDirectory("handoff-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        linkPath = runtimeDir.resolve("link.sock");
        linkServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        // 0600 inside the 0700 directory: two gates before the peer-credential check in adoptLink.
        Sockets.bindPrivate(linkServer, UnixDomainSocketAddress.of(linkPath), 64);
        Thread.ofPlatform().daemon().name("link-accept").start(this::acceptLinks);
    }

    /** Starts a worker JVM; it counts once it connects back and reports ready. */
    public WorkerProcess spawn(int id, int generation, long maxServed) throws IOException {
        List<String> cmd = WorkerCommand.build(id, linkPath, config.handler(), config.handlerClasspath(),
                config.root(), config.logFile(), config.workerConnections());
        cmd.addAll(WorkerCommand.limits(config.timeouts(), config.httpLimits()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        // Meant for the supervisor alone: a worker must not answer systemd or claim inherited sockets.
        pb.environment().keySet().removeAll(List.of("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                "WATCHDOG_USEC", "WATCHDOG_PID"));
        // Two glibc malloc arenas instead of up to eight per core: the JVM manages its own heap, and the arenas'
        // free lists were several MB of a worker's resident memory.
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        Process p = pb.start();
        WorkerProcess w = new WorkerProcess(id, generation, p, maxServed);
        workers.add(w);
        log.info("worker spawned worker={} pid={} gen={}", id, p.pid(), generation);
        p.onExit().thenAccept(done -> {
            w.state(WorkerProcess.State.GONE);
            refreshReady();
            MessageLink link = w.link();
            if (link != null) link.abort(); // its reader closes it
            workers.remove(w);
            events.workerExited(w, done.exitValue());
        });
        return w;
    }

    private void acceptLinks() {
        Episode failing = new Episode(log);
        while (linkServer.isOpen()) {
            // When accept fails (out of fds, most likely) a booting worker waits in the backlog; its --boot-timeout runs.
            SocketChannel ch = AcceptGate.acceptPatiently(linkServer, failing, "worker link");
            if (ch == null) return;
            try {
                adoptLink(ch);
            } catch (IOException e) {
                log.warn("worker link refused: {}", e.toString());
                closeQuietly(ch);
            }
        }
    }

    private void adoptLink(SocketChannel ch) throws IOException {
        PeerCredentials peer = Sockets.peerCredentials(ch);
        WorkerProcess w = workers.stream()
                .filter(x -> x.pid() == peer.pid() && x.link() == null && x.state() == WorkerProcess.State.BOOTING)
                .findFirst().orElse(null);
        if (peer.uid() != uid || w == null) {
            log.warn("worker link refused: peer pid={} uid={} is not a worker this supervisor spawned",
                    peer.pid(), peer.uid());
            closeQuietly(ch);
            return;
        }
        MessageLink link = new MessageLink(UnixLink.of(Sockets.detach(ch)));
        w.link(link);
        Thread.ofPlatform().daemon().name("link-" + w.id()).start(() -> readLink(w, link));
    }

    private void readLink(WorkerProcess w, MessageLink link) {
        List<Message> messages = new ArrayList<>();
        try {
            while (link.receive(messages)) {
                for (Message m : messages) {
                    switch (m) {
                        case Ready r -> {
                            if (r.pid() != w.pid()) throw new IOException("ready from pid " + r.pid());
                            w.heartbeatNow();
                            if (w.state() == WorkerProcess.State.BOOTING) w.state(WorkerProcess.State.READY);
                            refreshReady();
                            events.workerReady(w);
                        }
                        case Accepted a -> w.accepted(a.count(), a.open());
                        case Refused r -> {
                            w.refused(r.fds().size());
                            events.refused(w, r);
                        }
                        case Heartbeat h -> w.reported(h.open(), h.served());
                        case Drained d -> {
                            w.reported(0, d.served());
                            // Nothing more goes to this worker; it exits when it reads the end of the link.
                            link.closeForSending();
                            log.info("worker drained {} {} served={}", w, d.graceful() ? "gracefully" : "by force",
                                    d.served());
                        }
                        default -> throw new IOException("unexpected message " + m);
                    }
                }
                messages.clear();
            }
        } catch (IOException e) {
            if (w.state() != WorkerProcess.State.GONE) log.warn("worker link failed {} error={}", w, e.toString());
        } finally {
            link.close();
            if (w.state() == WorkerProcess.State.READY) w.state(WorkerProcess.State.DRAINING);
            refreshReady();
        }
    }

    /** Synchronized: two link threads recomputing at once must not let the older snapshot win. */
    private synchronized void refreshReady() {
        ready = workers.stream().filter(WorkerProcess::isReady)
                .sorted(Comparator.comparingInt(WorkerProcess::id)).toArray(WorkerProcess[]::new);
    }

    /** The workers that take connections now; the dispatcher reads this on every batch. */
    public WorkerProcess[] ready() { return ready; }

    public List<WorkerProcess> workers() { return List.copyOf(workers); }

    /** Tells one worker to stop taking connections and finish its open ones within {@code grace}. */
    public void drain(WorkerProcess w, Duration grace) {
        w.draining(System.nanoTime() + grace.toNanos());
        refreshReady();
        MessageLink link = w.link();
        try {
            if (link == null) throw new IOException("no link yet");
            link.send(new Stop(grace.toMillis()));
        } catch (IOException e) {
            log.warn("cannot tell {} to stop ({}); killing it", w, e.toString());
            w.process().destroyForcibly();
        }
    }

    /** Takes a worker out of dispatch at once (it is hung): it gets no more connections and is not waited for. */
    public void exclude(WorkerProcess w) {
        w.draining(System.nanoTime());
        refreshReady();
    }

    /** Sends a message to every worker with a link; a failure is logged, not thrown. */
    public void broadcast(Message m) {
        for (WorkerProcess w : workers) {
            MessageLink link = w.link();
            if (link == null) continue;
            try {
                link.send(m);
            } catch (IOException e) {
                log.debug("cannot send {} to {}: {}", m, w, e.toString());
            }
        }
    }

    /**
     * Tells every worker to stop (finishing its connections within {@code grace}), waits for them to exit, and kills
     * what is left. Returns true when all exited by themselves.
     */
    public boolean stopAll(Duration grace) {
        for (WorkerProcess w : workers) {
            if (w.state() != WorkerProcess.State.DRAINING) drain(w, grace);
        }
        long deadline = System.nanoTime() + grace.plusSeconds(2).toNanos();
        boolean graceful = true;
        for (WorkerProcess w : List.copyOf(workers)) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                if (!w.process().waitFor(left, TimeUnit.NANOSECONDS)) {
                    log.warn("worker did not stop in time; killing {}", w);
                    w.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    graceful = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.process().destroyForcibly();
                graceful = false;
            }
        }
        return graceful;
    }

    @Override
    public void close() {
        closeQuietly(linkServer);
        for (WorkerProcess w : workers) w.process().destroyForcibly();
        try {
            if (linkPath != null) Files.deleteIfExists(linkPath);
            if (runtimeDir != null) Files.deleteIfExists(runtimeDir);
        } catch (IOException ignored) {
            // a leftover empty temp directory is harmless
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}

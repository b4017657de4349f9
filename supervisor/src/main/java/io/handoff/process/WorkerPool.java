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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
import io.handoff.unix.PeerCredentials;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * The worker processes: spawns them, lets each connect back over a private Unix socket (verified by peer
 * credentials: our uid and a pid we spawned that has no link yet), reads their links, signals and kills them. It
 * changes no worker's state: what it sees goes to {@link PoolEvents}, and the supervisor's loop decides what follows.
 */
public final class WorkerPool implements Pool {
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private final WorkerSpec spec;
    private final PoolEvents events;
    /** Every worker process not yet seen to exit. Pool bookkeeping: added by spawn, removed by the exit watcher. */
    private final Map<WorkerProcess, Process> processes = new ConcurrentHashMap<>();
    /** Spawned and not yet connected back, by pid: a link is adopted once, for a pid we spawned. */
    private final Map<Long, WorkerProcess> awaitingLink = new ConcurrentHashMap<>();
    private Path runtimeDir;
    private Path linkPath;
    private ServerSocketChannel linkServer;
    private final int uid = Sockets.geteuid();

    public WorkerPool(WorkerSpec spec, PoolEvents events) {
        this.spec = spec;
        this.events = events;
    }

    /** Creates the private rendezvous socket (in a fresh 0700 directory) and starts accepting worker links. */
    @Override
    public void start() throws IOException {
        runtimeDir = Files.createTempDirectory("handoff-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        linkPath = runtimeDir.resolve("link.sock");
        linkServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        // 0600 inside the 0700 directory: two gates before the peer-credential check in adoptLink.
        Sockets.bindPrivate(linkServer, UnixDomainSocketAddress.of(linkPath), 64);
        Thread.ofPlatform().daemon().name("link-accept").start(this::acceptLinks);
    }

    @Override
    public WorkerProcess spawn(int id, int generation, long maxServed, long nowNanos) throws IOException {
        List<String> cmd = WorkerCommand.build(id, linkPath, spec.handler(), spec.handlerClasspath(), spec.root(),
                spec.logFile(), spec.maxConnections());
        cmd.addAll(WorkerCommand.limits(spec.timeouts(), spec.httpLimits()));
        cmd.addAll(WorkerCommand.datagrams(spec.maxDatagramBytes()));
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
        WorkerProcess w = new WorkerProcess(id, generation, p.pid(), nowNanos, maxServed);
        processes.put(w, p);
        awaitingLink.put(p.pid(), w);
        log.info("worker spawned worker={} pid={} gen={}", id, p.pid(), generation);
        p.onExit().thenAccept(done -> {
            processes.remove(w);
            awaitingLink.remove(done.pid(), w);
            MessageLink link = w.link();
            if (link != null) link.abort(); // its reader closes it
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
        WorkerProcess w = peer.uid() == uid ? awaitingLink.remove((long) peer.pid()) : null;
        if (w == null) {
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
                            w.heard(System.nanoTime());
                            events.workerReady(w);
                        }
                        case Accepted a -> w.accepted(a.count(), a.open());
                        case Refused r -> {
                            w.refused(r.fds().size());
                            events.refused(w, r);
                        }
                        case Heartbeat h -> w.reported(h.open(), h.served(), System.nanoTime());
                        case io.handoff.protocol.Message.DatagramStats d -> w.datagrams(d);
                        case Drained d -> {
                            w.reported(0, d.served(), System.nanoTime());
                            // Nothing more goes to this worker; it exits when it reads the end of the link.
                            link.closeForSending();
                            events.drained(w, d.graceful(), d.served());
                        }
                        default -> throw new IOException("unexpected message " + m);
                    }
                }
                messages.clear();
            }
        } catch (IOException e) {
            if (processes.containsKey(w)) log.warn("worker link failed {} error={}", w, e.toString());
        } finally {
            link.close();
            events.linkClosed(w);
        }
    }

    @Override
    public void sendStop(WorkerProcess w, Duration grace) {
        MessageLink link = w.link();
        try {
            if (link == null) throw new IOException("no link yet");
            link.send(new Stop(grace.toMillis()));
        } catch (IOException e) {
            log.warn("cannot tell {} to stop ({}); killing it", w, e.toString());
            kill(w);
        }
    }

    @Override
    public void kill(WorkerProcess w) {
        Process p = processes.get(w);
        if (p != null) p.destroyForcibly();
    }

    @Override
    public void threadDump(WorkerProcess w) {
        if (processes.containsKey(w)) io.handoff.unix.Signals.send(w.pid(), "QUIT");
    }

    @Override
    public long rssKb(WorkerProcess w) { return ProcStats.rssKb(w.pid()); }

    @Override
    public void broadcast(Message m) {
        for (WorkerProcess w : processes.keySet()) {
            MessageLink link = w.link();
            if (link == null) continue;
            try {
                link.send(m);
            } catch (IOException e) {
                log.debug("cannot send {} to {}: {}", m, w, e.toString());
            }
        }
    }

    @Override
    public List<WorkerProcess> awaitExit(List<WorkerProcess> workers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<WorkerProcess> left = new ArrayList<>();
        for (WorkerProcess w : workers) {
            Process p = processes.get(w);
            if (p == null) continue;
            try {
                if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) left.add(w);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                left.add(w);
            }
        }
        return left;
    }

    @Override
    public void close() {
        closeQuietly(linkServer);
        for (Process p : processes.values()) p.destroyForcibly();
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

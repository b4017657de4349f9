package io.handoff.worker;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.app.AppSettings;
import io.handoff.app.Apps;
import io.handoff.engine.Engine;
import io.handoff.engine.VirtualThreadEngine;
import io.handoff.engine.VirtualThreadIo;
import io.handoff.handler.Handler;
import io.handoff.handler.Handlers;
import io.handoff.handler.HttpLimits;
import io.handoff.handler.Timeouts;
import io.handoff.protocol.Message;
import io.handoff.logging.Logs;
import io.handoff.protocol.Message.Accepted;
import io.handoff.protocol.Message.Drained;
import io.handoff.protocol.Message.Handoff;
import io.handoff.protocol.Message.Heartbeat;
import io.handoff.protocol.Message.Listeners;
import io.handoff.protocol.Message.Ready;
import io.handoff.protocol.Message.Refused;
import io.handoff.protocol.Message.ReopenLogs;
import io.handoff.protocol.Message.Stop;
import io.handoff.protocol.MessageLink;
import io.handoff.unix.Fd;
import io.handoff.unix.Signals;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * A worker process: connects back to its supervisor over a private Unix socket, reports ready, then adopts every
 * client fd it is handed and serves it on its own virtual thread; or, with {@code --dispatch shared}, it is handed
 * the listening sockets once and accepts on them itself ({@link SharedAcceptors}). It lives exactly as long as its link: when the
 * supervisor goes away (even by kill -9) the link reaches end of stream and the worker exits.
 */
public final class WorkerMain {
    /** The handler could not be loaded: the supervisor must not respawn into the same failure. */
    public static final int EXIT_BOOT_ERROR = 3;
    /** The worker could not reach its supervisor. */
    public static final int EXIT_NO_LINK = 4;
    static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
    /** How soon a change in the number of open connections reaches the supervisor (it dispatches by that count). */
    static final Duration LOAD_REPORT_INTERVAL = Duration.ofMillis(10);
    /** Every receive thread of a datagram socket in one handler call this long: the worker stops heartbeating. */
    static final Duration DATAGRAM_HUNG_AFTER = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

    private final MessageLink link;
    private final Engine engine;
    private volatile boolean stopping;
    /** Set by the link reader when the supervisor shares its listeners; closed by the stop thread. */
    private volatile SharedAcceptors acceptors;

    private final int maxConnections;
    /** The datagram sockets this worker serves, if the supervisor sends any. */
    private final DatagramWorker datagrams;
    /** The supervisor's rendezvous socket: this worker removes it if the supervisor died without doing so. */
    private final Path rendezvous;

    private WorkerMain(MessageLink link, Engine engine, int maxConnections, Path rendezvous, DatagramWorker datagrams) {
        this.datagrams = datagrams;
        this.link = link;
        this.engine = engine;
        this.maxConnections = maxConnections;
        this.rendezvous = rendezvous;
    }

    public static void main(String[] args) {
        // What the supervisor inherited it passes on (a signal ignored stays ignored across exec): undo it, so that
        // QUIT (the hung-worker thread dump) and TERM work in a worker of a supervisor started by nohup or cmd &.
        try {
            Signals.restoreIgnored();
        } catch (RuntimeException | LinkageError e) {
            // no native access: the boot below fails with the reason
        }
        // Ctrl-C in a terminal reaches the whole process group; the supervisor decides how its workers stop.
        Signals.ignore("INT");
        String logFile = System.getProperty("handoff.log.file");
        if (logFile != null) {
            try {
                Logs.toFile(Path.of(logFile), false);
            } catch (IllegalArgumentException e) {
                // The supervisor opened it a moment ago; whatever changed since, log to stderr rather than not start.
                System.err.println("handoff[" + Logs.processName() + "]: " + e.getMessage() + "; logging to stderr");
            }
        }
        if (args.length == 1 && args[0].equals("--train")) {
            try {
                Training.run();
                System.exit(0);
            } catch (Exception e) {
                log.error("training run failed", e);
                System.exit(1);
            }
        }
        WorkerArgs a;
        try {
            a = WorkerArgs.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("handoff worker: " + e.getMessage());
            System.exit(EXIT_BOOT_ERROR);
            return;
        }
        Engine engine;
        DatagramWorker datagrams;
        try {
            // An application (servlet, WAR, Netty) is started here, before Ready: ready means the app is up.
            var app = Apps.detect(a.handler(), a.handlerClasspath().orElse(null));
            if (app.isPresent()) {
                engine = Apps.engine(app.get(), new AppSettings("fork", 0, a.timeouts(), a.httpLimits()));
                datagrams = DatagramWorker.forArgs(0, a.handler(), null, null); // an app serves connections only
            } else {
                Handler handler = DatagramWorker.streamHandler(a.handler(), a.handlerClasspath().orElse(null),
                        a.root().orElse(null), a.httpLimits());
                engine = new VirtualThreadEngine(handler, a.timeouts());
                datagrams = DatagramWorker.forArgs(a.datagrams(), a.handler(), a.handlerClasspath().orElse(null),
                        handler);
            }
            Sockets.ensureAvailable();
        } catch (Handlers.HandlerLoadException | RuntimeException | LinkageError e) {
            log.error("worker cannot boot: {}", e.getMessage(), e);
            System.exit(EXIT_BOOT_ERROR);
            return;
        }
        try {
            VirtualThreadIo.initialize();
        } catch (IOException e) {
            // Not a boot error: a shortage of fds passes, and the supervisor respawns with backoff.
            log.error("worker cannot start: {}", e.getMessage());
            System.exit(1);
            return;
        }
        MessageLink link;
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(a.link()));
            link = new MessageLink(UnixLink.of(Sockets.detach(ch)));
        } catch (IOException e) {
            log.error("worker cannot reach its supervisor at {}: {}", a.link(), e.toString());
            System.exit(EXIT_NO_LINK);
            return;
        }
        new WorkerMain(link, engine, a.maxConnections(), Path.of(a.link()), datagrams).run();
    }

    private void run() {
        long pid = ProcessHandle.current().pid();
        try {
            link.send(new Ready((int) pid));
        } catch (IOException e) {
            log.error("worker cannot report ready: {}", e.toString());
            System.exit(EXIT_NO_LINK);
        }
        // A virtual thread on purpose: its heartbeats stop when the scheduler can no longer run virtual threads
        // (handlers spinning on every carrier, or the process stopped), which is what "hung" means for a worker.
        // A worker merely busy with long connections blocked in I/O keeps heartbeating.
        Thread.ofVirtual().name("heartbeat").start(this::heartbeat);
        long supervisorPid = parentPid();
        watchParent(supervisorPid);
        log.info("worker ready pid={}", pid);
        List<Message> messages = new ArrayList<>();
        try {
            while (link.receive(messages)) {
                for (Message m : messages) handle(m);
                messages.clear();
            }
            if (stopping) log.debug("supervisor closed the link after drain; exiting pid={}", pid);
            else log.info("supervisor link closed; exiting pid={}", pid);
        } catch (IOException e) {
            log.error("supervisor link failed; exiting pid={} error={}", pid, e.toString());
        }
        if (!stopping) cleanUpAfter(supervisorPid);
        // Without a supervisor nobody can stop or replace us: leave now rather than linger as an orphan.
        Runtime.getRuntime().halt(0);
    }

    /**
     * A supervisor that was killed (kill -9) left its rendezvous socket and private directory behind: whichever of
     * its workers gets here first removes them. Only once the supervisor is gone for sure (we were re-parented; its
     * fds, our link among them, close a moment before that), and the directory only if nothing else is in it.
     */
    private void cleanUpAfter(long supervisorPid) {
        for (int i = 0; i < 20 && parentPid() == supervisorPid; i++) {
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                return;
            }
        }
        if (parentPid() == supervisorPid) return; // alive after all: it cleans up after itself
        try {
            java.nio.file.Files.deleteIfExists(rendezvous);
            Path dir = rendezvous.getParent();
            if (dir != null) java.nio.file.Files.deleteIfExists(dir);
            log.info("removed the rendezvous {} the supervisor left behind", rendezvous);
        } catch (IOException e) {
            log.debug("rendezvous {} left in place: {}", rendezvous, e.toString());
        }
    }

    private static long parentPid() {
        return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
    }

    private void handle(Message message) throws IOException {
        switch (message) {
            case Handoff h -> accept(h);
            case Listeners l -> listen(l);
            case Stop s -> beginStop(Duration.ofMillis(s.graceMillis()));
            case ReopenLogs r -> log.info("log file reopened={}", Logs.reopen());
            default -> log.warn("unexpected message from supervisor: {}", message);
        }
    }

    private void accept(Handoff h) throws IOException {
        if (stopping) {
            // Ownership rule: a refused fd goes back to the supervisor, and our copy closes once it is sent.
            try {
                link.send(new Refused(h.seq(), h.families(), h.peers(), h.fds()));
            } finally {
                h.fds().forEach(Fd::close);
            }
            return;
        }
        for (int i = 0; i < h.fds().size(); i++) {
            Fd fd = h.fds().get(i);
            try {
                engine.serve(Sockets.adopt(fd, h.families().get(i).jdk(), h.peers().get(i)));
            } catch (IOException e) {
                log.debug("could not adopt {}: {}", fd, e.toString()); // adopt closed it
            }
        }
        link.send(new Accepted(h.seq(), h.fds().size(), engine.open()));
    }

    /** Starts accepting on the listening sockets the supervisor shared. Owns their fds from here. */
    private void listen(Listeners l) {
        if (l.datagram()) {
            if (stopping) l.fds().forEach(Fd::close);
            else datagrams.serve(l);
            return;
        }
        if (stopping || acceptors != null) {
            // Stopping: too late to accept. Twice: the first set is the one in use.
            if (!stopping) log.warn("listeners sent twice; keeping the first fds={}", l.fds().size());
            l.fds().forEach(Fd::close);
            return;
        }
        try {
            acceptors = SharedAcceptors.start(l.fds(), l.families(), engine, maxConnections);
        } catch (IOException | RuntimeException e) {
            // Every worker would fail the same way: exit as a boot failure, so the supervisor stops, not respawns.
            log.error("worker cannot accept on the shared listeners: {}", e.toString(), e);
            System.exit(EXIT_BOOT_ERROR);
        }
        log.info("worker accepting on shared listeners count={}", acceptors.count());
    }

    private void beginStop(Duration grace) {
        if (stopping) return;
        stopping = true;
        log.info("worker stopping open={} grace={}ms", engine.open(), grace.toMillis());
        Thread.ofPlatform().name("stop").start(() -> {
            // Shared listeners first: once the acceptors are done, every connection this worker took is in the engine.
            SharedAcceptors a = acceptors;
            if (a != null) a.close();
            boolean graceful = datagrams.stop(grace);
            try {
                graceful &= engine.shutdown(grace);
            } catch (InterruptedException e) {
                graceful = false;
            }
            log.info("worker drained {} served={}", graceful ? "gracefully" : "by force", engine.served());
            try {
                // The supervisor answers by closing its side; the reader then sees end of stream and we exit.
                link.send(new Drained(graceful, engine.served()));
                Thread.sleep(10_000); // the supervisor did not close the link: leave anyway
                log.warn("supervisor did not acknowledge the drain; exiting");
            } catch (IOException | InterruptedException e) {
                // link gone: nothing left to wait for
            }
            Runtime.getRuntime().halt(0);
        });
    }

    /**
     * Liveness and load: a heartbeat every second, and sooner, within {@link #LOAD_REPORT_INTERVAL}, when the number
     * of open connections changed. Acknowledgements tell the supervisor about connections that arrive; this tells it
     * about the ones that finish, so a worker whose connections just closed does not look busy for up to a second
     * (and a burst of new ones does not all go to the other worker). At most 100 small frames a second, and only
     * while connections come and go. An idle worker wakes once a second: a connection that finishes wakes this
     * thread only while it is parked waiting for one (a flag, not an unpark per connection), and an engine that
     * cannot tell is polled every {@link #LOAD_REPORT_INTERVAL}.
     */
    private void heartbeat() {
        Thread self = Thread.currentThread();
        AtomicBoolean parked = new AtomicBoolean();
        boolean told = engine.whenFinished(() -> {
            if (parked.get() && parked.compareAndSet(true, false)) LockSupport.unpark(self);
        });
        long heartbeatNanos = HEARTBEAT_INTERVAL.toNanos();
        try {
            long sentAt = System.nanoTime();
            int reportedOpen = 0;
            while (true) {
                long sinceSent = System.nanoTime() - sentAt;
                if (engine.open() != reportedOpen || sinceSent >= heartbeatNanos) {
                    // Datagram handlers run on platform threads, which a spinning or blocked handler holds while the
                    // virtual threads (this one too) run on: when it holds every receive thread of a socket, go
                    // silent (looking again every 10 ms), so the supervisor finds the worker hung.
                    if (!datagrams.stuck(DATAGRAM_HUNG_AFTER.toNanos())) {
                        link.send(() -> new Heartbeat(engine.open(), engine.served()));
                        Message counts = datagrams.stats();
                        if (counts != null) link.send(counts);
                        reportedOpen = engine.open();
                        sentAt = System.nanoTime();
                    }
                    Thread.sleep(LOAD_REPORT_INTERVAL); // at most 100 reports a second
                } else if (!told) {
                    Thread.sleep(LOAD_REPORT_INTERVAL);
                } else {
                    parked.set(true);
                    // Checked again once the flag is up: a connection that finished just before would not unpark.
                    if (engine.open() == reportedOpen) LockSupport.parkNanos(heartbeatNanos - sinceSent);
                    parked.set(false);
                }
            }
        } catch (InterruptedException | IOException e) {
            // the link is gone; the reader loop notices and exits
        }
    }

    /** A second guard besides the link: if the parent changes (we were re-parented), exit. */
    private void watchParent(long parentPid) {
        Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
            while (true) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                if (parentPid() != parentPid) {
                    log.error("supervisor pid={} is gone; exiting", parentPid);
                    cleanUpAfter(parentPid);
                    Runtime.getRuntime().halt(0);
                }
            }
        });
    }

    /**
     * What the supervisor's WorkerCommand passes; the limits default as {@code handoff serve}'s do.
     * {@code maxConnections}: connections this worker holds at once; enforced here only when it accepts itself.
     */
    record WorkerArgs(String link, String handler, Optional<Path> handlerClasspath, Optional<Path> root,
            Timeouts timeouts, HttpLimits httpLimits, int maxConnections, int datagrams) {
        static WorkerArgs parse(String[] args) {
            String link = null, handler = "http";
            Path cp = null, root = null;
            long idleMs = Timeouts.DEFAULT_IDLE_SECONDS * 1000, readMs = Timeouts.DEFAULT_READ_SECONDS * 1000;
            long maxHeader = HttpLimits.DEFAULT_MAX_HEADER_BYTES, maxBody = HttpLimits.DEFAULT_MAX_BODY_BYTES;
            int maxConnections = Integer.MAX_VALUE;
            int datagrams = 0; // the largest datagram served, when the supervisor will send datagram sockets
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                if (value == null) throw new IllegalArgumentException("missing value for " + args[i]);
                switch (args[i++]) {
                    case "--link" -> link = value;
                    case "--handler" -> handler = value;
                    case "--handler-classpath" -> cp = Path.of(value);
                    case "--root" -> root = Path.of(value);
                    case "--idle-timeout-ms" -> idleMs = number(args[i - 1], value);
                    case "--read-timeout-ms" -> readMs = number(args[i - 1], value);
                    case "--max-header-bytes" -> maxHeader = number(args[i - 1], value);
                    case "--max-body-bytes" -> maxBody = number(args[i - 1], value);
                    case "--max-connections" -> maxConnections = Integer.parseInt(value);
                    case "--max-datagram-bytes" -> datagrams = (int) Math.min(number(args[i - 1], value), 1 << 24);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i - 1]);
                }
            }
            if (link == null) throw new IllegalArgumentException("--link is required");
            if (maxHeader > Integer.MAX_VALUE) throw new IllegalArgumentException("--max-header-bytes too large");
            return new WorkerArgs(link, handler, Optional.ofNullable(cp), Optional.ofNullable(root),
                    new Timeouts(Duration.ofMillis(idleMs), Duration.ofMillis(readMs)), new HttpLimits((int) maxHeader, maxBody), maxConnections, datagrams);
        }

        private static long number(String flag, String value) {
            try {
                long n = Long.parseLong(value);
                if (n < 0) throw new NumberFormatException();
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a number of 0 or more, got '" + value + "'");
            }
        }
    }
}

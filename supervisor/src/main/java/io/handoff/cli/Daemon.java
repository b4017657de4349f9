package io.handoff.cli;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.handoff.supervisor.ServeConfig;
import io.handoff.unix.NativeException;
import io.handoff.unix.NotifySocket;
import io.handoff.unix.Processes;
import picocli.CommandLine;

/**
 * {@code serve --daemon}. A JVM cannot fork, so the launcher starts the same command again as a child (stdin from
 * /dev/null, output appended to the log file) and waits, like systemd would, for the child's sd_notify READY=1 on a
 * private datagram socket. The child starts a new session and serves; the launcher prints where it runs and exits 0,
 * or exits with the child's status and its last STATUS= line when startup fails.
 */
final class Daemon {
    static final String CHILD_ENV = "HANDOFF_DAEMON_CHILD";

    private Daemon() {}

    static boolean isChild() { return "1".equals(System.getenv(CHILD_ENV)); }

    /** In the child: a new session, so the terminal's hangup and job-control signals no longer reach us. */
    static void detachFromTerminal() {
        try {
            Processes.newSession();
        } catch (NativeException e) {
            // Already a session leader (started by a service manager): nothing to detach from.
        }
    }

    static int launch(List<String> serveArgs, ServeConfig config, CommandLine cmd) {
        Path dir = null;
        Process child = null;
        try {
            dir = Files.createTempDirectory("handoff-daemon-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path notify = dir.resolve("notify.sock");
            LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
            try (NotifySocket.Receiver receiver = new NotifySocket.Receiver(notify)) {
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        for (String m; (m = receiver.receive()) != null; ) messages.add(m);
                    } catch (IOException closed) {
                        // launcher is done
                    }
                });
                ProcessBuilder pb = new ProcessBuilder(childCommand(serveArgs))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(config.logFile().toFile()))
                        .redirectError(ProcessBuilder.Redirect.appendTo(config.logFile().toFile()));
                pb.environment().put(CHILD_ENV, "1");
                pb.environment().put("NOTIFY_SOCKET", notify.toString());
                pb.environment().keySet().removeAll(List.of("LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC"));
                child = pb.start();
                return awaitReady(child, messages, config, cmd);
            }
        } catch (IOException e) {
            cmd.getErr().println("handoff serve: cannot start the daemon: " + e.getMessage());
            if (child != null) child.destroyForcibly();
            return 1;
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve("notify.sock"));
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a leftover empty temp directory is harmless
                }
            }
        }
    }

    private static int awaitReady(Process child, LinkedBlockingQueue<String> messages, ServeConfig config,
            CommandLine cmd) throws IOException {
        long deadline = System.nanoTime() + config.bootTimeout().multipliedBy(3).plusSeconds(30).toNanos();
        String lastStatus = null;
        while (System.nanoTime() < deadline) {
            String m;
            try {
                m = messages.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                child.destroyForcibly();
                return 1;
            }
            if (m != null) {
                for (String line : m.split("\n")) {
                    if (line.startsWith("STATUS=")) lastStatus = line.substring(7);
                }
                if (m.lines().anyMatch("READY=1"::equals)) {
                    cmd.getOut().println("handoff: daemon started pid=" + child.pid() + " log=" + config.logFile()
                            + (config.pidfile() != null ? " pidfile=" + config.pidfile() : ""));
                    return 0;
                }
                continue;
            }
            if (!child.isAlive()) {
                int status = child.exitValue();
                cmd.getErr().println("handoff serve: daemon failed to start (status " + status + "): "
                        + (lastStatus != null ? lastStatus : "see " + config.logFile()));
                return status == 0 ? 1 : status;
            }
        }
        child.destroyForcibly();
        cmd.getErr().println("handoff serve: daemon not ready in time; killed it (see " + config.logFile() + ")");
        return 1;
    }

    /** The same JVM, flags and classpath, running {@code serve} with the same arguments. */
    private static List<String> childCommand(List<String> serveArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(serveArgs);
        return cmd;
    }
}

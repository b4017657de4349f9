package io.handoff.control;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.engine.AcceptGate;
import io.handoff.engine.Episode;
import io.handoff.unix.PeerCredentials;
import io.handoff.unix.Sockets;

/**
 * The control socket: a Unix stream socket, mode 0600 in a private directory. Each connection carries one request
 * line ("scale 4\n") and gets one JSON document back. Only our own uid (or root) may talk to it, checked by peer
 * credentials on every connection. A client that sends nothing is cut off after a few seconds; a malformed request
 * gets an error answer. Nothing a client sends can stop the server except the stop command.
 */
public final class ControlServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final int MAX_LINE = 4096;
    private static final long CLIENT_TIMEOUT_MILLIS = 5000;

    private final Path path;
    private final ServerSocketChannel server;
    private final Function<List<String>, Map<String, Object>> executor;
    private final Runnable afterReply;
    private final int uid = Sockets.geteuid();

    private ControlServer(Path path, ServerSocketChannel server, Function<List<String>, Map<String, Object>> executor,
            Runnable afterReply) {
        this.path = path;
        this.server = server;
        this.executor = executor;
        this.afterReply = afterReply;
    }

    /**
     * Binds the control socket. {@code executor} runs a parsed request and returns the answer; it is called on a
     * per-client virtual thread and is expected to hand the work to the supervisor's loop. {@code afterReply} runs
     * once an answer has been written (so a stop can wait until its own answer went out).
     */
    public static ControlServer start(Path path, Function<List<String>, Map<String, Object>> executor,
            Runnable afterReply) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        ControlPaths.ensurePrivateDir(dir);
        if (Files.exists(path)) {
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                throw new IOException("another process is listening on control socket " + path
                        + " (another handoff instance? give this one its own --control PATH)");
            } catch (IOException refused) {
                if (refused.getMessage() != null && refused.getMessage().startsWith("another process")) throw refused;
                Files.deleteIfExists(path); // stale: nobody listens
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            // Created 0600, whatever the umask and the directory (a --control directory may be less private).
            Sockets.bindPrivate(ch, UnixDomainSocketAddress.of(path), 16);
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
            if (!mode.equals("rw-------")) throw new IOException("control socket " + path + " came out " + mode);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        ControlServer cs = new ControlServer(path, ch, executor, afterReply);
        Thread.ofPlatform().daemon().name("control").start(cs::acceptLoop);
        return cs;
    }

    public Path path() { return path; }

    private void acceptLoop() {
        Episode failing = new Episode(log);
        while (server.isOpen()) {
            // Out of fds, most likely, when accept fails: the control socket must outlive that, not end with it.
            SocketChannel client = AcceptGate.acceptPatiently(server, failing, "control");
            if (client == null) return;
            try {
                Thread.ofVirtual().name("control-client").start(() -> serve(client));
            } catch (RuntimeException | OutOfMemoryError e) {
                log.warn("cannot serve a control connection error={}", e.toString());
                try {
                    client.close();
                } catch (IOException ignored) {
                    // nothing left to release
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            PeerCredentials peer = Sockets.peerCredentials(client);
            if (peer.uid() != uid && peer.uid() != 0) {
                log.warn("control connection refused: peer pid={} uid={} is not uid {}", peer.pid(), peer.uid(), uid);
                reply(client, CommandRegistry.error("permission denied: uid " + peer.uid() + " may not control this "
                        + "server"));
                return;
            }
            String line = readLine(client);
            if (line == null) return;
            List<String> words = Arrays.stream(line.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
            log.info("control command={} peer_pid={}", String.join(" ", words), peer.pid());
            reply(client, executor.apply(words));
            afterReply.run();
        } catch (IOException e) {
            log.debug("control client failed: {}", e.toString());
        }
    }

    /** One line, at most 4 KiB, within the client timeout; null when the client sent nothing usable. */
    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_LINE);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLIENT_TIMEOUT_MILLIS);
        // A watchdog closes the channel at the deadline, which ends a blocked read.
        Thread reader = Thread.currentThread();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(CLIENT_TIMEOUT_MILLIS);
                if (reader.isAlive()) client.close();
            } catch (InterruptedException | IOException ignored) {
                // done in time
            }
        });
        try {
            while (buf.hasRemaining() && System.nanoTime() < deadline) {
                if (client.read(buf) < 0) break;
                for (int i = 0; i < buf.position(); i++) {
                    if (buf.get(i) == '\n') return new String(buf.array(), 0, i, StandardCharsets.UTF_8);
                }
            }
        } catch (IOException e) {
            return null;
        } finally {
            watchdog.interrupt();
        }
        if (buf.position() == 0) return null;
        if (!buf.hasRemaining()) {
            reply(client, CommandRegistry.error("request longer than " + MAX_LINE + " bytes"));
            return null;
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8); // no newline: take what came
    }

    private static void reply(SocketChannel client, Map<String, Object> answer) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((Json.write(answer) + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) client.write(out);
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}

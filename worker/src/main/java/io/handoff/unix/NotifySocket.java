package io.handoff.unix;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * The sd_notify protocol: newline-separated {@code KEY=VALUE} states in one datagram to the Unix socket named by
 * {@code NOTIFY_SOCKET} (a path, or {@code @name} for the abstract namespace). The JDK has no Unix datagram sockets;
 * jnr-unixsocket does. The receiving side is here too, for the daemon launcher that waits for its child's READY=1.
 */
public final class NotifySocket implements Closeable {
    private final UnixDatagramChannel channel;
    private final UnixSocketAddress target;

    private NotifySocket(UnixDatagramChannel channel, UnixSocketAddress target) {
        this.channel = channel;
        this.target = target;
    }

    /** The notifier systemd (or a daemon launcher) asked for, or null when NOTIFY_SOCKET is unset. */
    public static NotifySocket fromEnvironment() throws IOException {
        String name = System.getenv("NOTIFY_SOCKET");
        if (name == null || name.isEmpty()) return null;
        String path = name.startsWith("@") ? "\0" + name.substring(1) : name;
        return new NotifySocket(UnixDatagramChannel.open(), new UnixSocketAddress(path));
    }

    /** Sends one notification, e.g. {@code "READY=1\nSTATUS=serving"}. */
    public void send(String states) throws IOException {
        channel.send(ByteBuffer.wrap(states.getBytes(StandardCharsets.UTF_8)), target);
    }

    @Override
    public void close() throws IOException { channel.close(); }

    /** A bound datagram socket that receives notifications (what systemd does, for the daemon launcher). */
    public static final class Receiver implements Closeable {
        private final UnixDatagramChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocate(4096);

        public Receiver(Path path) throws IOException {
            channel = UnixDatagramChannel.open();
            channel.bind(new UnixSocketAddress(new File(path.toString())));
        }

        /** Blocks for the next datagram; null once closed. */
        public String receive() throws IOException {
            buf.clear();
            if (channel.receive(buf) == null) return null;
            buf.flip();
            return StandardCharsets.UTF_8.decode(buf).toString();
        }

        @Override
        public void close() throws IOException { channel.close(); }
    }
}

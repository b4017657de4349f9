package io.handoff.handler;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One accepted client connection, in blocking mode. Handlers may use the channel directly (ByteBuffers, the fastest
 * path) or the unbuffered streams over it; both see the same bytes.
 */
public final class Connection implements Closeable {
    private final SocketChannel channel;
    private final SocketAddress remote;
    private final InputStream input;
    private final OutputStream output;
    private final java.util.function.BooleanSupplier draining;

    public Connection(SocketChannel channel) { this(channel, () -> false); }

    /** @param draining tells the handler that the server is stopping or reloading (see {@link #isDraining()}) */
    public Connection(SocketChannel channel, java.util.function.BooleanSupplier draining) {
        this.channel = channel;
        this.draining = draining;
        SocketAddress r;
        try {
            r = channel.getRemoteAddress();
        } catch (IOException e) {
            r = null;
        }
        this.remote = r;
        this.input = new ChannelInput(channel);
        this.output = new ChannelOutput(channel);
    }

    public SocketChannel channel() { return channel; }

    /** The client's address; for a Unix-domain client usually an unnamed {@code UnixDomainSocketAddress}. */
    public SocketAddress remoteAddress() { return remote; }

    /** True when the client came in over a Unix-domain socket. */
    public boolean isLocal() { return !(remote instanceof InetSocketAddress); }

    /** The client's IP address as text ("127.0.0.1", "::1"), or "local" for a Unix-domain client. */
    public String clientName() { return clientName(remote); }

    /** What {@link #clientName()} says for a peer address; shared with the event-loop connections. */
    public static String clientName(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "local";
    }

    /**
     * True once this server is stopping or being replaced (reload, recycling). A handler that serves several requests
     * on one connection should finish the one it has and close (HTTP: answer with {@code Connection: close}), so the
     * client reconnects to a server that stays. Connections still open at the graceful deadline are interrupted.
     */
    public boolean isDraining() { return draining.getAsBoolean(); }

    public InputStream input() { return input; }

    public OutputStream output() { return output; }

    /** Writes the whole buffer, however many writes the kernel needs. */
    public void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    @Override
    public void close() throws IOException { channel.close(); }

    @Override
    public String toString() { return "client=" + remote; }

    private static final class ChannelInput extends InputStream {
        private final SocketChannel channel;

        ChannelInput(SocketChannel channel) { this.channel = channel; }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            int n;
            do {
                n = channel.read(ByteBuffer.wrap(b, off, len));
            } while (n == 0);
            return n;
        }
    }

    private static final class ChannelOutput extends OutputStream {
        private final SocketChannel channel;

        ChannelOutput(SocketChannel channel) { this.channel = channel; }

        @Override
        public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) channel.write(buf);
        }
    }
}

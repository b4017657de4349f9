package io.handoff.listen;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

import io.handoff.unix.Sockets;

/** One bound, listening socket. Owns the Unix socket file it created and removes it on close. */
public final class Listener implements Closeable {
    public static final int DEFAULT_BACKLOG = 1024;

    private final BindAddress bind;
    private final ServerSocketChannel channel;
    private final ProtocolFamily family;
    private final Path unixPath;
    private final boolean inherited;
    private volatile boolean deferred;

    private Listener(BindAddress bind, ServerSocketChannel channel, ProtocolFamily family, Path unixPath,
            boolean inherited) {
        this.bind = bind;
        this.channel = channel;
        this.family = family;
        this.unixPath = unixPath;
        this.inherited = inherited;
    }

    /**
     * Unsent output a connection may hold before its writes wait: enough to keep a socket busy between two wake-ups
     * of the writer (Cloudflare's and Google's setting for HTTP servers), little enough that a client which stops
     * reading cannot have the server produce much for nothing.
     */
    public static final int NOTSENT_LOWAT = 16 * 1024;

    /** Options set once on a TCP listener that every accepted connection inherits. */
    private static void tuneTcp(ServerSocketChannel ch) throws IOException {
        Sockets.setNoDelay(ch);
        Sockets.setNotSentLowat(ch, NOTSENT_LOWAT);
    }

    /** Takes over listening sockets the service manager passed (systemd socket activation). */
    public static List<Listener> inherited(int count) throws ListenException {
        try {
            List<Listener> out = new java.util.ArrayList<>();
            for (Sockets.Inherited s : Sockets.inheritedListeners(count)) {
                if (s.family() != StandardProtocolFamily.UNIX) tuneTcp(s.channel());
                out.add(new Listener(new BindAddress("fd:" + s.fd(), null), s.channel(), s.family(), null, true));
            }
            return out;
        } catch (IOException e) {
            throw new ListenException("cannot use the sockets systemd passed (LISTEN_FDS=" + count + "): "
                    + e.getMessage());
        }
    }

    /** Binds and listens; a failure names the address and says what to do about it. */
    public static Listener bind(BindAddress bind, int backlog) throws ListenException {
        ServerSocketChannel ch = null;
        try {
            if (bind.address() instanceof UnixDomainSocketAddress unix) {
                removeStaleSocket(bind, unix.getPath());
                ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                ch.bind(unix, backlog);
                return new Listener(bind, ch, StandardProtocolFamily.UNIX, unix.getPath(), false);
            }
            InetSocketAddress inet = (InetSocketAddress) bind.address();
            ProtocolFamily family;
            if (inet.getAddress().isAnyLocalAddress()) {
                // ":PORT" means every interface: a dual-stack IPv6 socket on "::" takes IPv4 clients too.
                family = ipv6Available() ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
                inet = new InetSocketAddress(family == StandardProtocolFamily.INET6
                        ? InetAddress.getByName("::") : InetAddress.getByName("0.0.0.0"), inet.getPort());
            } else {
                family = inet.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET
                        : StandardProtocolFamily.INET6;
            }
            ch = ServerSocketChannel.open(family);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(inet, backlog);
            tuneTcp(ch);
            return new Listener(bind, ch, family, null, false);
        } catch (BindException e) {
            close(ch);
            throw new ListenException("cannot bind " + bind + ": " + e.getMessage()
                    + " (another process holds it? choose another address with --bind)");
        } catch (IOException | UnsupportedOperationException e) {
            close(ch);
            throw new ListenException("cannot bind " + bind + ": " + e.getMessage());
        }
    }

    /**
     * A Unix socket file left behind by a process that died is removed, but only when nobody listens on it: a
     * connect that is refused proves the file is stale. A live listener or a non-socket file is an error.
     */
    private static void removeStaleSocket(BindAddress bind, Path path) throws ListenException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isOther()) throw new ListenException("cannot bind " + bind + ": " + path
                    + " exists and is not a socket (remove it or choose another path)");
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                throw new ListenException("cannot bind " + bind + ": a server is already listening on " + path);
            } catch (IOException refused) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new ListenException("cannot bind " + bind + ": " + e.getMessage());
        }
    }

    private static boolean ipv6Available() {
        try (ServerSocketChannel probe = ServerSocketChannel.open(StandardProtocolFamily.INET6)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * For a protocol where the client speaks first (HTTP): connections reach accept once their first bytes arrived,
     * so no process wakes for a connection that has nothing to read yet (Apache's "AcceptFilter http data", nginx's
     * "listen ... deferred"). A client that stays silent is still accepted, after about a second. TCP only.
     */
    public void deferAcceptUntilData() throws ListenException {
        if (family == StandardProtocolFamily.UNIX) return;
        try {
            Sockets.setDeferAccept(channel, 1);
            deferred = true;
        } catch (java.io.IOException e) {
            throw new ListenException("cannot set TCP_DEFER_ACCEPT on " + bind + ": " + e.getMessage());
        }
    }

    public ServerSocketChannel channel() { return channel; }

    /** True when connections reach accept with their first bytes ({@link #deferAcceptUntilData}). */
    public boolean deferred() { return deferred; }

    public ProtocolFamily family() { return family; }

    public BindAddress bindAddress() { return bind; }

    /** Passed in by the service manager (socket activation), which keeps the socket after we exit. */
    public boolean inherited() { return inherited; }

    /** The real address, with the port the kernel chose for port 0: {@code 127.0.0.1:8000}, {@code unix:/p}. */
    public String describe() {
        try {
            var local = channel.getLocalAddress();
            if (local instanceof InetSocketAddress inet) {
                String host = inet.getAddress().getHostAddress();
                if (inet.getAddress() instanceof Inet6Address) host = "[" + host.replaceAll("%.*", "") + "]";
                return host + ":" + inet.getPort();
            }
            return "unix:" + ((UnixDomainSocketAddress) local).getPath();
        } catch (IOException e) {
            return bind.text();
        }
    }

    @Override
    public void close() {
        close(channel);
        if (unixPath != null) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException ignored) {
                // best effort: a stale file is removed by the next start anyway
            }
        }
    }

    private static void close(Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing a listener cannot fail in a way we could act on
        }
    }

    /** The address cannot be listened on; the message is fit for the command line. */
    public static final class ListenException extends Exception {
        public ListenException(String message) { super(message); }
    }
}

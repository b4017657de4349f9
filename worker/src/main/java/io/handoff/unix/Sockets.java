package io.handoff.unix;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.List;

/**
 * Where JDK channels and raw fds meet: detach a JDK channel's fd, accept raw fds from a JDK listening channel, adopt
 * a received fd into a real JDK {@link SocketChannel} (so virtual threads block on it without pinning), and read
 * peer credentials. Needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}.
 */
public final class Sockets {
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int SO_DOMAIN = 39;

    private static final class Jdk {
        static final MethodHandle FD_VAL;
        static final MethodHandle NEW_FD;
        static final MethodHandle REMOTE_ADDRESS;
        static final MethodHandle NEW_SOCKET_CHANNEL;
        static final MethodHandle NEW_SERVER_CHANNEL;

        static {
            try {
                Class<?> selChImpl = Class.forName("sun.nio.ch.SelChImpl");
                Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
                Class<?> net = Class.forName("sun.nio.ch.Net");
                Class<?> socketChannelImpl = Class.forName("sun.nio.ch.SocketChannelImpl");
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(socketChannelImpl, MethodHandles.lookup());
                FD_VAL = lookup.findVirtual(selChImpl, "getFDVal", MethodType.methodType(int.class));
                NEW_FD = lookup.findStatic(ioUtil, "newFD", MethodType.methodType(FileDescriptor.class, int.class));
                REMOTE_ADDRESS = lookup.findStatic(net, "remoteAddress",
                        MethodType.methodType(InetSocketAddress.class, FileDescriptor.class));
                NEW_SOCKET_CHANNEL = lookup.findConstructor(socketChannelImpl, MethodType.methodType(void.class,
                        SelectorProvider.class, ProtocolFamily.class, FileDescriptor.class, SocketAddress.class));
                Class<?> serverImpl = Class.forName("sun.nio.ch.ServerSocketChannelImpl");
                NEW_SERVER_CHANNEL = MethodHandles.privateLookupIn(serverImpl, MethodHandles.lookup())
                        .findConstructor(serverImpl, MethodType.methodType(void.class, SelectorProvider.class,
                                ProtocolFamily.class, FileDescriptor.class, boolean.class));
            } catch (ReflectiveOperationException | IllegalAccessError e) {
                throw new ExceptionInInitializerError(new IllegalStateException(
                        "JDK internals not reachable; run with --add-opens java.base/sun.nio.ch=ALL-UNNAMED", e));
            }
        }
    }

    private Sockets() {}

    /** Fails fast, at start, when the JVM flags or the native library are missing. */
    public static void ensureAvailable() {
        Native.warmUp();
        Jdk.FD_VAL.type();
    }

    /** Takes the fd out of a JDK channel: dups it (close-on-exec) and closes the channel. */
    public static Fd detach(SelectableChannel channel) throws IOException {
        int dup = Native.libc().fcntl(fdVal(channel), F_DUPFD_CLOEXEC, 0);
        if (dup < 0) {
            int errno = Native.libcErrno();
            channel.close();
            throw new NativeException("fcntl(F_DUPFD_CLOEXEC)", errno);
        }
        channel.close();
        return new Fd(dup);
    }

    /**
     * A close-on-exec duplicate of a channel's fd, owned by the caller; the channel stays open. Both name the same
     * socket (one open file description: flags such as O_NONBLOCK are shared), which lives until both are closed.
     */
    public static Fd duplicate(SelectableChannel channel) throws NativeException {
        int dup = Native.libc().fcntl(fdVal(channel), F_DUPFD_CLOEXEC, 0);
        if (dup < 0) throw new NativeException("fcntl(F_DUPFD_CLOEXEC)", Native.libcErrno());
        return new Fd(dup);
    }

    /**
     * Accepts up to {@code max} pending connections from a non-blocking listening channel as raw, close-on-exec fds,
     * without creating a JDK object per connection. Returns how many were added; 0 when none is pending. A connection
     * the client aborted before accept is skipped; fd exhaustion (EMFILE/ENFILE) is thrown after whatever was
     * accepted so far has been added to {@code out}.
     */
    public static int acceptBatch(ServerSocketChannel listener, List<Fd> out, int max) throws NativeException {
        int lfd = fdVal(listener);
        int accepted = 0;
        while (accepted < max) {
            int fd = Native.libc().accept4(lfd, null, null, Native.SOCK_CLOEXEC);
            if (fd >= 0) {
                out.add(new Fd(fd));
                accepted++;
                continue;
            }
            int errno = Native.libcErrno();
            if (errno == Errno.EINTR || errno == Errno.ECONNABORTED) continue;
            if (errno == Errno.EAGAIN) break;
            if (accepted > 0) break; // report the error on the next call, after handing these over
            throw new NativeException("accept4", errno);
        }
        return accepted;
    }

    /**
     * Shuts a listening socket down for every process that holds it (shutdown(2) acts on the socket, not on this
     * fd): new connections are refused, ones waiting in the backlog are reset, and every accept, blocked or future,
     * fails with EINVAL. Closing only drops this process's reference. Errors are moot: the socket is being retired.
     */
    public static void shutdownListener(ServerSocketChannel listener) {
        Native.libc().shutdown(fdVal(listener), Native.SHUT_RDWR);
    }

    /** True once some process shut the listening socket down ({@link #shutdownListener}): accept fails for good. */
    public static boolean isShutDown(ServerSocketChannel listener) {
        java.nio.ByteBuffer pollfd = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
        pollfd.putInt(0, fdVal(listener)).putShort(4, (short) Native.POLLRDHUP);
        byte[] raw = pollfd.array();
        if (Native.libc().poll(raw, 1, 0) <= 0) return false;
        // A shut-down TCP listener is in state CLOSE (POLLHUP); a Unix one reports POLLHUP once both halves are shut.
        short revents = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.nativeOrder()).getShort(6);
        return (revents & (Native.POLLHUP | Native.POLLRDHUP)) != 0;
    }

    /**
     * Makes a received socket fd into a connected, blocking JDK {@link SocketChannel}. The channel owns the fd from
     * here on; {@code fd} is released.
     */
    public static SocketChannel adopt(Fd fd, ProtocolFamily family) throws IOException {
        int raw = fd.release();
        try {
            FileDescriptor jfd = (FileDescriptor) Jdk.NEW_FD.invokeExact(raw);
            SocketAddress remote = family == StandardProtocolFamily.UNIX
                    ? UnixDomainSocketAddress.of("")
                    : remoteAddressOrNull(jfd);
            return (SocketChannel) Jdk.NEW_SOCKET_CHANNEL.invoke(SelectorProvider.provider(), family, jfd, remote);
        } catch (IOException | RuntimeException | Error e) {
            Native.closeQuietly(raw);
            throw e;
        } catch (Throwable t) {
            Native.closeQuietly(raw);
            throw new IOException("adopting fd " + raw, t);
        }
    }

    /**
     * Makes a received listening socket into a JDK {@link ServerSocketChannel} in blocking mode; the channel owns the
     * fd from here on ({@code fd} is released). Accept on it from platform threads only: the JDK switches a
     * blocking-mode socket to O_NONBLOCK the first time a virtual thread accepts on it, and that flag lives in the
     * open file description that every process holding the socket shares.
     */
    public static ServerSocketChannel adoptListener(Fd fd, ProtocolFamily family) throws IOException {
        int raw = fd.release();
        try {
            FileDescriptor jfd = (FileDescriptor) Jdk.NEW_FD.invokeExact(raw);
            return (ServerSocketChannel) Jdk.NEW_SERVER_CHANNEL.invoke(SelectorProvider.provider(), family, jfd, true);
        } catch (IOException | RuntimeException | Error e) {
            Native.closeQuietly(raw);
            throw e;
        } catch (Throwable t) {
            Native.closeQuietly(raw);
            throw new IOException("adopting listening fd " + raw, t);
        }
    }

    private static SocketAddress remoteAddressOrNull(FileDescriptor jfd) throws Throwable {
        try {
            return (InetSocketAddress) Jdk.REMOTE_ADDRESS.invokeExact(jfd);
        } catch (IOException e) {
            return null; // the client already went away (ENOTCONN); the handler finds out on first read
        }
    }

    /** The credentials of the process at the other end of a connected Unix socket (SO_PEERCRED). */
    public static PeerCredentials peerCredentials(SocketChannel unixChannel) throws NativeException {
        byte[] ucred = new byte[12];
        int[] len = {ucred.length};
        int rc = Native.libc().getsockopt(fdVal(unixChannel), Native.SOL_SOCKET, Native.SO_PEERCRED, ucred, len);
        if (rc < 0) throw new NativeException("getsockopt(SO_PEERCRED)", Native.libcErrno());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(ucred).order(java.nio.ByteOrder.nativeOrder());
        return new PeerCredentials(b.getInt(0), b.getInt(4), b.getInt(8));
    }

    /**
     * The listening sockets systemd passed (socket activation, sd_listen_fds(3)): fds 3 .. 3+count-1, each adopted
     * into a JDK {@link ServerSocketChannel} and marked close-on-exec so workers do not inherit them. Returns each
     * channel with its real address family (SO_DOMAIN).
     */
    public static List<Inherited> inheritedListeners(int count) throws IOException {
        List<Inherited> out = new java.util.ArrayList<>();
        for (int fd = 3; fd < 3 + count; fd++) {
            byte[] val = new byte[4];
            int[] len = {4};
            if (Native.libc().getsockopt(fd, Native.SOL_SOCKET, SO_DOMAIN, val, len) < 0) {
                throw new NativeException("getsockopt(fd " + fd + ", SO_DOMAIN): not a socket?", Native.libcErrno());
            }
            int domain = java.nio.ByteBuffer.wrap(val).order(java.nio.ByteOrder.nativeOrder()).getInt();
            ProtocolFamily family = switch (domain) {
                case 1 -> StandardProtocolFamily.UNIX;
                case 2 -> StandardProtocolFamily.INET;
                case 10 -> StandardProtocolFamily.INET6;
                default -> throw new IOException("inherited fd " + fd + " has unsupported address family " + domain);
            };
            Native.libc().fcntl(fd, F_SETFD, FD_CLOEXEC);
            try {
                FileDescriptor jfd = (FileDescriptor) Jdk.NEW_FD.invokeExact(fd);
                ServerSocketChannel ch = (ServerSocketChannel) Jdk.NEW_SERVER_CHANNEL.invoke(SelectorProvider.provider(),
                        family, jfd, true);
                out.add(new Inherited(fd, ch, family));
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException("adopting inherited fd " + fd, t);
            }
        }
        return out;
    }

    /** A listening socket inherited from the service manager. */
    public record Inherited(int fd, ServerSocketChannel channel, ProtocolFamily family) {}

    /**
     * Stops a listening socket from admitting new connections while keeping the ones it already queued: listen(2)
     * again with a backlog of 0, so the kernel drops new SYNs (the client retries, and meets the closed port) instead
     * of completing handshakes that closing the listener would then reset. Best effort: a failure changes nothing.
     */
    public static void stopAdmitting(ServerSocketChannel listener) {
        if (listener.isOpen()) Native.libc().listen(fdVal(listener), 0);
    }

    /**
     * Binds a Unix stream socket whose file only our uid may connect to (mode 0600), with no moment in which the file
     * exists with wider permissions: Linux creates the socket file with the mode of the socket's own inode, masked by
     * the umask, so that mode is set (fchmod on the unbound socket) before bind creates the file. A chmod after bind
     * would leave a window; changing the umask would affect every thread of the process.
     */
    public static void bindPrivate(ServerSocketChannel unixChannel, UnixDomainSocketAddress address, int backlog)
            throws IOException {
        if (Native.libc().fchmod(fdVal(unixChannel), 0600) < 0) {
            throw new NativeException("fchmod(socket, 0600)", Native.libcErrno());
        }
        unixChannel.bind(address, backlog);
    }

    /** This process's effective uid. */
    public static int geteuid() { return Native.libc().geteuid(); }

    private static int fdVal(SelectableChannel channel) {
        try {
            return (int) Jdk.FD_VAL.invoke(channel);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read the fd of " + channel, t);
        }
    }
}

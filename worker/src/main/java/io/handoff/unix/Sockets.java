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
     * Accepts connections as raw fds, without creating a JDK object per connection, and keeps each client's address
     * as accept(2) wrote it. Owns a small native buffer for that: one per accepting thread.
     */
    public static final class BatchAcceptor {
        /** struct sockaddr_storage (128 bytes), then the socklen_t accept4 reads and writes. */
        private static final int ADDR_LEN_AT = 128;
        private final java.nio.ByteBuffer mem =
                java.nio.ByteBuffer.allocateDirect(ADDR_LEN_AT + 4).order(java.nio.ByteOrder.nativeOrder());
        private final long base = Native.address(mem);
        /** Written by the accepting thread only; read by whoever reports it. */
        private volatile long droppedSilentlyGone;
        private final byte[] peekBuffer = new byte[1];

        /**
         * Accepts up to {@code max} pending connections from a non-blocking listening channel as close-on-exec,
         * non-blocking fds, adding each to {@code out} and its client's raw {@code sockaddr} to {@code peers} (empty
         * for a Unix client). Returns how many were added; 0 when none is pending. A connection the client aborted
         * before accept is skipped; fd exhaustion (EMFILE/ENFILE) is thrown after whatever was accepted so far has
         * been added.
         */
        public int accept(ServerSocketChannel listener, List<Fd> out, List<byte[]> peers, int max)
                throws NativeException {
            return accept(listener, out, peers, max, false);
        }

        /**
         * As {@link #accept(ServerSocketChannel, List, List, int)}; with {@code dropSilentlyGone}, a connection
         * whose client already closed or reset it without sending a byte is closed here and not added (nor counted
         * against {@code max}): for a protocol where the client speaks first there is nothing to answer, and
         * handing it on would cost the receiver more than the one {@code recv(MSG_PEEK)} that finds out. Meant for
         * listeners with deferred accept, where a connection normally reaches accept with its first bytes, so the
         * peek almost never comes back empty-handed. {@link #droppedSilentlyGone()} counts them.
         */
        public int accept(ServerSocketChannel listener, List<Fd> out, List<byte[]> peers, int max,
                boolean dropSilentlyGone) throws NativeException {
            int lfd = fdVal(listener);
            int accepted = 0;
            while (accepted < max) {
                mem.putInt(ADDR_LEN_AT, ADDR_LEN_AT);
                // Non-blocking from the start: a virtual thread serves it, and the JDK would otherwise set the flag
                // with a second fcntl on its first read. The JDK's blocking mode copes with it on platform threads.
                int fd = Native.libc().accept4(lfd, base, base + ADDR_LEN_AT,
                        Native.SOCK_CLOEXEC | Native.SOCK_NONBLOCK);
                if (fd >= 0 && dropSilentlyGone && goneWithoutData(fd, peekBuffer)) {
                    Native.libc().close(fd);
                    droppedSilentlyGone = droppedSilentlyGone + 1;
                    continue;
                }
                if (fd >= 0) {
                    out.add(new Fd(fd));
                    int len = mem.getInt(ADDR_LEN_AT);
                    int family = len >= 2 ? mem.getShort(0) : -1;
                    byte[] peer = (family == AF_INET || family == AF_INET6) && len <= ADDR_LEN_AT
                            ? new byte[len] : NO_PEER;
                    mem.get(0, peer);
                    peers.add(peer);
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

        /** Connections {@link #accept} closed because their client was gone before it sent anything. */
        public long droppedSilentlyGone() { return droppedSilentlyGone; }
    }

    /**
     * Closes a freshly accepted connection whose client already closed or reset it without sending a byte (EOF or an
     * error on a non-blocking peek) and returns true; returns false, leaving it open, when bytes wait or nothing has
     * arrived yet. For a protocol where the client speaks first, such a connection has nothing to answer: closing
     * it here spares a thread and a session (a connect-then-close flood then costs a peek per connection).
     */
    public static boolean closeIfGoneWithoutData(SocketChannel ch) {
        if (!goneWithoutData(fdVal(ch), new byte[1])) return false;
        try {
            ch.close();
        } catch (IOException e) {
            // nothing was read or written on it: nothing to lose
        }
        return true;
    }

    private static boolean goneWithoutData(int fd, byte[] buf) {
        long n = Native.libc().recv(fd, buf, 1, Native.MSG_PEEK | Native.MSG_DONTWAIT);
        if (n > 0) return false;
        if (n == 0) return true;
        int errno = Native.libcErrno();
        return errno != Errno.EAGAIN && errno != Errno.EINTR;
    }

    private static final int AF_INET = 2, AF_INET6 = 10;
    private static final byte[] NO_PEER = new byte[0];

    /**
     * The address in a raw {@code struct sockaddr_in} / {@code sockaddr_in6} as accept(2) wrote it, or null if it is
     * none of those. IPv4-mapped IPv6 addresses come out as IPv4, as the JDK's own accept reports them.
     */
    public static InetSocketAddress decodePeer(byte[] sockaddr) {
        if (sockaddr.length < 8) return null;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sockaddr);
        int family = b.order(java.nio.ByteOrder.nativeOrder()).getShort(0);
        int port = b.order(java.nio.ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
        try {
            if (family == AF_INET) {
                return new InetSocketAddress(java.net.InetAddress.getByAddress(
                        java.util.Arrays.copyOfRange(sockaddr, 4, 8)), port);
            }
            if (family == AF_INET6 && sockaddr.length >= 28) {
                byte[] addr = java.util.Arrays.copyOfRange(sockaddr, 8, 24);
                int scope = b.order(java.nio.ByteOrder.nativeOrder()).getInt(24);
                java.net.InetAddress ip = java.net.InetAddress.getByAddress(addr); // v4-mapped → Inet4Address
                if (scope != 0 && ip instanceof java.net.Inet6Address) {
                    ip = java.net.Inet6Address.getByAddress(null, addr, scope);
                }
                return new InetSocketAddress(ip, port);
            }
        } catch (java.net.UnknownHostException e) {
            return null; // wrong length: cannot happen for the lengths checked above
        }
        return null;
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
     * here on; {@code fd} is released. {@code peer} is the client's raw address as accept(2) returned it; when it is
     * empty the kernel is asked (getpeername).
     */
    public static SocketChannel adopt(Fd fd, ProtocolFamily family, byte[] peer) throws IOException {
        int raw = fd.release();
        try {
            FileDescriptor jfd = (FileDescriptor) Jdk.NEW_FD.invokeExact(raw);
            InetSocketAddress known = family == StandardProtocolFamily.UNIX ? null : decodePeer(peer);
            SocketAddress remote = family == StandardProtocolFamily.UNIX
                    ? UnixDomainSocketAddress.of("")
                    : known != null ? known : remoteAddressOrNull(jfd);
            return (SocketChannel) Jdk.NEW_SOCKET_CHANNEL.invoke(SelectorProvider.provider(), family, jfd, remote);
        } catch (IOException | RuntimeException | Error e) {
            Native.closeQuietly(raw);
            throw e;
        } catch (Throwable t) {
            Native.closeQuietly(raw);
            throw new IOException("adopting fd " + raw, t);
        }
    }

    /** {@link #adopt(Fd, ProtocolFamily, byte[])} for an fd whose client address is not known: asks the kernel. */
    public static SocketChannel adopt(Fd fd, ProtocolFamily family) throws IOException {
        return adopt(fd, family, NO_PEER);
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
     * Sets TCP_NODELAY on a TCP listening socket. Linux copies it into every connection accepted from it, by any
     * process: workers and engines then need no setsockopt per connection. Responses are written whole, so Nagle
     * would only hold a response's last segment back until the client's delayed ACK.
     */
    public static void setNoDelay(ServerSocketChannel listener) throws NativeException {
        if (Native.libc().setsockopt(fdVal(listener), Native.IPPROTO_TCP, Native.TCP_NODELAY, new int[] {1}, 4) < 0) {
            throw new NativeException("setsockopt(TCP_NODELAY)", Native.libcErrno());
        }
    }

    /**
     * TCP_NOTSENT_LOWAT on a listener, which Linux copies into every accepted connection: a write waits (and the
     * socket polls unwritable) while more than {@code bytes} of output wait to be sent, rather than until the whole
     * send buffer (autotuned up to 4 MiB) is full. Bytes in flight are not counted, so a fast client's throughput is
     * unchanged; but a client that stops reading holds back at most this much, and the session stops answering its
     * pipelined requests there instead of producing megabytes of answers nobody reads.
     */
    public static void setNotSentLowat(ServerSocketChannel listener, int bytes) throws NativeException {
        if (Native.libc().setsockopt(fdVal(listener), Native.IPPROTO_TCP, Native.TCP_NOTSENT_LOWAT,
                new int[] {bytes}, 4) < 0) {
            throw new NativeException("setsockopt(TCP_NOTSENT_LOWAT)", Native.libcErrno());
        }
    }

    /** A socket's TCP_NOTSENT_LOWAT (-1 when it cannot be read): what {@link #setNotSentLowat} gave it. */
    public static int notSentLowat(java.nio.channels.NetworkChannel socket) {
        byte[] val = new byte[4];
        int[] len = {4};
        if (Native.libc().getsockopt(fdVal((SelectableChannel) socket), Native.IPPROTO_TCP, Native.TCP_NOTSENT_LOWAT,
                val, len) < 0) {
            return -1;
        }
        return java.nio.ByteBuffer.wrap(val).order(java.nio.ByteOrder.nativeOrder()).getInt();
    }

    /**
     * TCP_DEFER_ACCEPT: the kernel hands a connection to accept only once its first data arrived (or, for a client
     * that stays silent, after about {@code seconds}). For protocols where the client speaks first, the server's
     * first read then always finds the request, instead of registering with a poller and waiting for it.
     */
    public static void setDeferAccept(ServerSocketChannel listener, int seconds) throws NativeException {
        if (Native.libc().setsockopt(fdVal(listener), Native.IPPROTO_TCP, Native.TCP_DEFER_ACCEPT,
                new int[] {seconds}, 4) < 0) {
            throw new NativeException("setsockopt(TCP_DEFER_ACCEPT)", Native.libcErrno());
        }
    }

    /**
     * True when the listening socket defers accept until data ({@link #setDeferAccept}), whoever set it: a worker
     * that shares a listener learns it from the socket itself. False for a socket without the option (Unix).
     */
    public static boolean defersAccept(ServerSocketChannel listener) {
        byte[] val = new byte[4];
        int[] len = {4};
        if (Native.libc().getsockopt(fdVal(listener), Native.IPPROTO_TCP, Native.TCP_DEFER_ACCEPT, val, len) < 0) {
            return false;
        }
        return java.nio.ByteBuffer.wrap(val).order(java.nio.ByteOrder.nativeOrder()).getInt() != 0;
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

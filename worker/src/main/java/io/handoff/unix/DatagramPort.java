package io.handoff.unix;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A bound datagram socket (UDP over IPv4 or IPv6, or a Unix datagram socket) served with recvmsg(2) and sendmsg(2)
 * on its raw fd. Native for every family, not the JDK's {@link DatagramChannel}: that one has no {@code AF_UNIX},
 * no public way to adopt a received fd, and truncates a datagram larger than the buffer without saying so, where
 * {@code MSG_TRUNC} gives its real length and lets an oversized datagram be counted and dropped whole.
 *
 * <p>Thread-safe: any number of threads (and processes holding the same socket) may receive and send at once; each
 * receiving thread has its own {@link Receiver}. Sends never block ({@code MSG_DONTWAIT}): a Unix client whose
 * queue is full, or gone, loses its answer instead of stalling the loop that serves everyone else.
 */
public final class DatagramPort implements Closeable {
    /** struct sockaddr_storage. */
    private static final int SOCKADDR_MAX = 128;
    private static final int AF_INET = 2, AF_INET6 = 10;
    /** sun_path in struct sockaddr_un. */
    private static final int UNIX_PATH_MAX = 108;

    /** Native send frames kept for reuse; at most this many. */
    private static final int MAX_SPARE_FRAMES = 64;
    /** Where the iovec, the address and a copied payload sit in a frame, after the 56-byte struct msghdr. */
    private static final int IOV_AT = 56, NAME_AT = 72, PAYLOAD_AT = NAME_AT + 128;

    private final Fd fd;
    private final ProtocolFamily family;
    private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> sendFrames =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    private DatagramPort(Fd fd, ProtocolFamily family) {
        this.fd = fd;
        this.family = family;
    }

    /**
     * How long a blocking receive waits at most ({@code SO_RCVTIMEO}), so an idle receive thread notices a stop. Set
     * on the socket, which every process holding it shares: all of them set the same value.
     */
    public static final int RECEIVE_TIMEOUT_MILLIS = 200;

    /** Takes over the fd of a bound JDK datagram channel (which is closed); the port owns a duplicate. */
    public static DatagramPort of(DatagramChannel bound, ProtocolFamily family) throws IOException {
        return new DatagramPort(Sockets.detach(bound), family).withReceiveTimeout();
    }

    /** A received datagram socket fd; the port owns it from here. */
    public static DatagramPort adopt(Fd fd, ProtocolFamily family) throws NativeException {
        return new DatagramPort(fd, family).withReceiveTimeout();
    }

    private DatagramPort withReceiveTimeout() throws NativeException {
        // struct timeval {long tv_sec; long tv_usec;} as four native ints (LP64, little-endian: low half first).
        int[] tv = {0, 0, RECEIVE_TIMEOUT_MILLIS * 1000, 0};
        if (Native.libc().setsockopt(fd.value(), Native.SOL_SOCKET, Native.SO_RCVTIMEO, tv, 16) < 0) {
            int errno = Native.libcErrno();
            fd.close();
            throw new NativeException("setsockopt(SO_RCVTIMEO)", errno);
        }
        return this;
    }

    /**
     * Binds a Unix datagram socket at {@code path} (close-on-exec). The JDK cannot make one. The caller removes a
     * stale file first and the file when done.
     */
    public static DatagramPort bindUnix(Path path) throws IOException {
        byte[] addr = unixAddress(path.toString());
        int raw = Native.libc().socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0);
        if (raw < 0) throw new NativeException("socket(AF_UNIX, SOCK_DGRAM)", Native.libcErrno());
        Fd fd = new Fd(raw);
        if (Native.libc().bind(raw, addr, addr.length) < 0) {
            int errno = Native.libcErrno();
            fd.close();
            throw new NativeException("bind(" + path + ")", errno);
        }
        return new DatagramPort(fd, StandardProtocolFamily.UNIX).withReceiveTimeout();
    }

    /**
     * True when a Unix datagram socket is bound at {@code path}: a connect(2), which sends nothing, succeeds. A file
     * nobody is bound to any more (its server died) refuses it, and may be removed.
     */
    public static boolean isBoundUnix(Path path) {
        byte[] addr = unixAddress(path.toString());
        int raw = Native.libc().socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0);
        if (raw < 0) return false;
        try {
            return Native.libc().connect(raw, addr, addr.length) == 0;
        } finally {
            Native.closeQuietly(raw);
        }
    }

    public ProtocolFamily family() { return family; }

    /** A close-on-exec duplicate for another process (the same socket: one queue). */
    public Fd duplicate() throws NativeException {
        int dup = Native.libc().fcntl(fd.value(), 1030 /* F_DUPFD_CLOEXEC */, 0);
        if (dup < 0) throw new NativeException("fcntl(F_DUPFD_CLOEXEC)", Native.libcErrno());
        return new Fd(dup);
    }

    /**
     * How many bytes of datagrams wait in the kernel while every receiver is busy. The kernel counts each datagram's
     * whole buffer (about 1 KiB for a small one), so the default (net.core.rmem_default, ~208 KiB) holds only a few
     * hundred: a 10 ms stall at 20,000/s overflows it. SO_RCVBUFFORCE, for a process allowed to (CAP_NET_ADMIN, as
     * root), is not capped by net.core.rmem_max; otherwise SO_RCVBUF, which is. Returns the size the kernel gave.
     */
    public int setReceiveBuffer(int bytes) throws NativeException {
        int[] value = {bytes};
        if (Native.libc().setsockopt(fd.value(), Native.SOL_SOCKET, Native.SO_RCVBUFFORCE, value, 4) < 0
                && Native.libc().setsockopt(fd.value(), Native.SOL_SOCKET, Native.SO_RCVBUF, value, 4) < 0) {
            throw new NativeException("setsockopt(SO_RCVBUF)", Native.libcErrno());
        }
        byte[] got = new byte[4];
        int[] len = {4};
        if (Native.libc().getsockopt(fd.value(), Native.SOL_SOCKET, Native.SO_RCVBUF, got, len) < 0) return -1;
        return ByteBuffer.wrap(got).order(ByteOrder.nativeOrder()).getInt();
    }

    /** A receiver for one thread, with room for datagrams of up to {@code maxBytes}. */
    public Receiver receiver(int maxBytes) { return new Receiver(maxBytes); }

    /**
     * Sends {@code data} (its remaining bytes) to {@code sockaddr}, a raw address as {@link Receiver#sender()}
     * gives it or {@link #encode} makes it. Returns false when the datagram could not be sent now and was dropped:
     * the receiver's queue is full (EAGAIN, Unix), it is gone (ECONNREFUSED, ENOENT), or the kernel reported an ICMP
     * error for an earlier datagram. Other failures throw.
     */
    public boolean send(ByteBuffer data, byte[] sockaddr) throws NativeException {
        int len = data.remaining();
        if (sockaddr.length > SOCKADDR_MAX) throw new IllegalArgumentException("address of " + sockaddr.length + " bytes");
        // The message header, the address and (for a heap payload) a copy of the payload, in one native buffer kept
        // for the next send: one per thread sending at the same moment (receive, pool or virtual threads).
        ByteBuffer frame = sendFrames.poll();
        if (frame == null || frame.capacity() < PAYLOAD_AT + len) {
            frame = ByteBuffer.allocateDirect(PAYLOAD_AT + Math.max(len, 2048)).order(ByteOrder.nativeOrder());
        }
        long n;
        try {
            long base = Native.address(frame);
            long payload;
            if (data.isDirect()) {
                payload = Native.address(data) + data.position();
            } else {
                frame.put(PAYLOAD_AT, data, data.position(), len);
                payload = base + PAYLOAD_AT;
            }
            frame.put(NAME_AT, sockaddr);
            header(frame, base, sockaddr.length, payload, len);
            n = Native.libc().sendmsg(fd.value(), base, Native.MSG_DONTWAIT | Native.MSG_NOSIGNAL);
        } finally {
            if (sendFrames.size() < MAX_SPARE_FRAMES) sendFrames.offer(frame);
        }
        if (n >= 0) {
            data.position(data.limit());
            return true;
        }
        int errno = Native.libcErrno();
        if (undeliverable(errno)) return false;
        throw new NativeException("sendmsg", errno);
    }

    /**
     * Lays out a struct msghdr (LP64 Linux: name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40,
     * flags 48) with one iovec at {@link #IOV_AT} and the address at {@link #NAME_AT}, in {@code frame} at native
     * address {@code base}. recvmsg/sendmsg with three arguments, the shape the link code already uses, rather than
     * the six of recvfrom/sendto.
     */
    private static void header(ByteBuffer frame, long base, int nameLength, long payload, long payloadLength) {
        frame.putLong(0, base + NAME_AT).putInt(8, nameLength).putInt(12, 0)
                .putLong(16, base + IOV_AT).putLong(24, 1)
                .putLong(32, 0).putLong(40, 0).putInt(48, 0).putInt(52, 0)
                .putLong(IOV_AT, payload).putLong(IOV_AT + 8, payloadLength);
    }

    /** Errors that concern one peer (or one earlier datagram's ICMP answer), never the socket. */
    private static boolean undeliverable(int errno) {
        return errno == Errno.EAGAIN || errno == Errno.ECONNREFUSED || errno == 2 /* ENOENT */
                || errno == 101 /* ENETUNREACH */ || errno == 113 /* EHOSTUNREACH */ || errno == 90 /* EMSGSIZE */
                || errno == 13 /* EACCES: broadcast */ || errno == 1 /* EPERM: firewall */ || errno == 105 /* ENOBUFS */;
    }

    /** The raw address of {@code to} for a socket of this port's family (IPv4 on an IPv6 socket: v4-mapped). */
    public byte[] encode(SocketAddress to) {
        if (to instanceof UnixDomainSocketAddress u) return unixAddress(u.getPath().toString());
        InetSocketAddress inet = (InetSocketAddress) to;
        if (inet.isUnresolved()) throw new IllegalArgumentException("unresolved address " + to);
        byte[] ip = inet.getAddress().getAddress();
        ByteBuffer b;
        if (family == StandardProtocolFamily.INET) {
            if (!(inet.getAddress() instanceof Inet4Address)) throw new IllegalArgumentException(
                    "an IPv4 socket cannot send to " + to);
            b = ByteBuffer.allocate(16);
            b.order(ByteOrder.nativeOrder()).putShort(0, (short) AF_INET);
            b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) inet.getPort());
            b.put(4, ip);
            return b.array();
        }
        if (ip.length == 4) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(ip, 0, mapped, 12, 4);
            ip = mapped;
        }
        b = ByteBuffer.allocate(28);
        b.order(ByteOrder.nativeOrder()).putShort(0, (short) AF_INET6);
        b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) inet.getPort());
        b.put(8, ip);
        if (inet.getAddress() instanceof Inet6Address v6) b.order(ByteOrder.nativeOrder()).putInt(24, v6.getScopeId());
        return b.array();
    }

    private static byte[] unixAddress(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= UNIX_PATH_MAX) {
            throw new IllegalArgumentException("Unix socket path longer than " + (UNIX_PATH_MAX - 1) + " bytes: " + path);
        }
        byte[] addr = new byte[2 + p.length + 1];
        ByteBuffer.wrap(addr).order(ByteOrder.nativeOrder()).putShort(0, (short) Native.AF_UNIX);
        System.arraycopy(p, 0, addr, 2, p.length);
        return addr;
    }

    /**
     * The sender in a raw address: an {@link InetSocketAddress}, a {@link UnixDomainSocketAddress} for a Unix sender
     * bound to a path, or null for an unbound (unnamed) or abstract Unix sender, which cannot be answered by path.
     */
    public static SocketAddress decode(byte[] sockaddr) {
        if (sockaddr.length < 2) return null;
        int fam = ByteBuffer.wrap(sockaddr).order(ByteOrder.nativeOrder()).getShort(0);
        if (fam == Native.AF_UNIX) {
            if (sockaddr.length <= 2 || sockaddr[2] == 0) return null;
            int end = 2;
            while (end < sockaddr.length && sockaddr[end] != 0) end++;
            return UnixDomainSocketAddress.of(new String(sockaddr, 2, end - 2, StandardCharsets.UTF_8));
        }
        return Sockets.decodePeer(sockaddr);
    }

    /** Shuts nothing down (other processes may share the socket): drops this process's reference. */
    @Override
    public void close() { fd.close(); }

    @Override
    public String toString() { return "datagram " + fd; }

    /**
     * One thread's receiving end: a native buffer for the payload and one for the sender's address, reused for
     * every datagram. Not thread-safe; what {@link #payload()} and {@link #sender()} return is valid until the next
     * receive.
     */
    public final class Receiver {
        /** Nothing arrived within the timeout. */
        public static final int NOTHING = -1;
        /** A datagram larger than the buffer arrived and was dropped whole; {@link #length()} is its real size. */
        public static final int TOO_LARGE = -2;
        /** The kernel reported an ICMP error for an earlier datagram (ECONNREFUSED): nothing to serve, go on. */
        public static final int PEER_ERROR = -3;

        private final ByteBuffer data;
        private final long dataAt;
        /** struct msghdr, its iovec and the sender's address (see {@link DatagramPort#header}). */
        private final ByteBuffer frame = ByteBuffer.allocateDirect(PAYLOAD_AT).order(ByteOrder.nativeOrder());
        private final long frameAt = Native.address(frame);
        private int length;

        private Receiver(int maxBytes) {
            // One byte more than allowed: a datagram that fills it is too large, whatever MSG_TRUNC says.
            data = ByteBuffer.allocateDirect(maxBytes + 1);
            dataAt = Native.address(data);
        }

        /**
         * Takes the next datagram, waiting up to {@code timeoutMillis} for one (0: not at all; otherwise in steps of
         * the socket's own receive timeout, {@link #RECEIVE_TIMEOUT_MILLIS}). Returns its length,
         * or {@link #NOTHING}, {@link #TOO_LARGE}, {@link #PEER_ERROR}. Throws when the socket itself fails
         * (closed: EBADF).
         */
        public int receive(int timeoutMillis) throws NativeException {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                header(frame, frameAt, SOCKADDR_MAX, dataAt, data.capacity());
                // MSG_TRUNC: the datagram's real length even when it did not fit (the rest is discarded). Without
                // MSG_DONTWAIT the call blocks, up to the socket's SO_RCVTIMEO: a blocked receiver is woken alone
                // (an exclusive wait), where poll(2) would wake every thread of every worker on the socket.
                int flags = Native.MSG_TRUNC | (timeoutMillis <= 0 ? Native.MSG_DONTWAIT : 0);
                long n = Native.libc().recvmsg(fd.value(), frameAt, flags);
                if (n >= 0) {
                    length = (int) Math.min(n, Integer.MAX_VALUE);
                    if (n >= data.capacity()) return TOO_LARGE;
                    data.clear().limit(length);
                    return length;
                }
                int errno = Native.libcErrno();
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.ECONNREFUSED) return PEER_ERROR;
                if (errno != Errno.EAGAIN) throw new NativeException("recvmsg", errno);
                // The socket's receive timeout passed (or, not waiting, nothing was there).
                if (timeoutMillis <= 0 || System.nanoTime() - deadline >= 0) return NOTHING;
            }
        }

        /** The last datagram's payload (position 0, limit its length); a view of this receiver's buffer. */
        public ByteBuffer payload() { return data; }

        /** The last datagram's length, also for {@link #TOO_LARGE}. */
        public int length() { return length; }

        /** The last sender's raw address, copied. */
        public byte[] sender() {
            int len = Math.min(frame.getInt(8), SOCKADDR_MAX);
            byte[] out = new byte[Math.max(len, 0)];
            frame.get(NAME_AT, out);
            return out;
        }

        /** Answers the last sender (see {@link DatagramPort#send}). */
        public boolean reply(ByteBuffer answer, byte[] sender) throws NativeException { return send(answer, sender); }
    }
}

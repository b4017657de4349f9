package io.handoff.unix;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One end of a connected Unix stream socket that carries bytes and, on the side, file descriptors (SCM_RIGHTS).
 *
 * <p>Kernel rules this class encodes: every message carries at least one data byte (a zero-byte sendmsg on a stream
 * socket loses the fds); at most {@link #MAX_FDS} fds per message; fds are received with MSG_CMSG_CLOEXEC so they
 * never leak into a spawned child; a truncated control buffer (MSG_CTRUNC) is an error because the kernel has
 * already closed the fds that did not fit.
 *
 * <p>Memory rule: the {@code struct msghdr}, its {@code iovec} and the control buffer live in one direct buffer per
 * direction, owned by this object and reused for every message, so they stay reachable across the syscall and no
 * native memory is allocated per message. (jnr-posix's MsgHdr allocates them per message and keeps them only as raw
 * addresses; a GC at the wrong moment frees them and a message goes out without its fds.) Data buffers must be
 * direct. Sends are serialised by the caller per link, and so are receives.
 */
public final class UnixLink implements Closeable {
    /** SCM_MAX_FD in the Linux kernel. */
    public static final int MAX_FDS = 253;

    // LP64 Linux layout: struct msghdr (56 bytes), struct iovec (16), struct cmsghdr (16) + int fds[].
    private static final int MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32,
            MSG_CONTROLLEN = 40, MSG_FLAGS = 48, MSGHDR_SIZE = 56;
    private static final int IOV_BASE = 0, IOV_LEN = 8, IOVEC_SIZE = 16;
    private static final int CMSG_LEN = 0, CMSG_LEVEL = 8, CMSG_TYPE = 12, CMSG_HDR = 16;

    private final Fd fd;
    private final int controlCapacity;
    private final Message sendMsg = new Message(MAX_FDS);
    private final Message recvMsg;

    private UnixLink(Fd fd, int controlCapacity) {
        this.fd = fd;
        this.controlCapacity = controlCapacity;
        this.recvMsg = new Message(controlCapacity);
    }

    /** Wraps a connected Unix stream socket; the link now owns the fd. */
    public static UnixLink of(Fd fd) { return new UnixLink(fd, MAX_FDS); }

    /**
     * A link whose receives make room for only {@code maxFds} fds per call; more in one message is MSG_CTRUNC.
     * Production code uses {@link #of(Fd)}; this exists to exercise the truncation path for real.
     */
    public static UnixLink withControlCapacity(Fd fd, int maxFds) {
        if (maxFds < 1 || maxFds > MAX_FDS) throw new IllegalArgumentException("maxFds " + maxFds);
        return new UnixLink(fd, maxFds);
    }

    private static int cmsgSpace(int dataBytes) { return CMSG_HDR + ((dataBytes + 7) & ~7); }

    /** A reusable msghdr + iovec + control area in one direct buffer. */
    private static final class Message {
        final ByteBuffer mem;
        final long base;

        Message(int maxFds) {
            mem = ByteBuffer.allocateDirect(MSGHDR_SIZE + IOVEC_SIZE + cmsgSpace(4 * maxFds))
                    .order(ByteOrder.nativeOrder());
            base = Native.address(mem);
        }

        /** Fills msghdr and iovec for {@code data}'s remaining bytes and a control area of {@code controlLen}. */
        void prepare(ByteBuffer data, int controlLen) {
            mem.putLong(MSG_NAME, 0).putLong(MSG_NAMELEN, 0)
                    .putLong(MSG_IOV, base + MSGHDR_SIZE).putLong(MSG_IOVLEN, 1)
                    .putLong(MSG_CONTROL, controlLen == 0 ? 0 : base + MSGHDR_SIZE + IOVEC_SIZE)
                    .putLong(MSG_CONTROLLEN, controlLen).putLong(MSG_FLAGS, 0);
            mem.putLong(MSGHDR_SIZE + IOV_BASE, Native.address(data) + data.position())
                    .putLong(MSGHDR_SIZE + IOV_LEN, data.remaining());
        }

        int cmsg(int offset) { return MSGHDR_SIZE + IOVEC_SIZE + offset; }
    }

    /**
     * Sends {@code data} (direct, at least one byte remaining) with {@code fds} attached. Returns the number of bytes
     * sent; the buffer's position is advanced by that much. If fewer bytes than remaining were sent, the fds were
     * still sent (with the first byte) and the caller sends the rest without fds. The caller keeps ownership of the
     * fds either way: sending duplicates them into the receiver.
     *
     * @param dontWait fail with EAGAIN instead of blocking when the socket buffer is full
     */
    public int send(ByteBuffer data, List<Fd> fds, boolean dontWait) throws NativeException {
        if (!data.isDirect()) throw new IllegalArgumentException("sendmsg needs a direct buffer");
        if (!data.hasRemaining()) throw new IllegalArgumentException("sendmsg needs at least one data byte");
        if (fds.size() > MAX_FDS) throw new IllegalArgumentException("at most " + MAX_FDS + " fds per message");
        Message m = sendMsg;
        int controlLen = fds.isEmpty() ? 0 : cmsgSpace(4 * fds.size());
        m.prepare(data, controlLen);
        if (controlLen > 0) {
            int c = m.cmsg(0);
            m.mem.putLong(c + CMSG_LEN, CMSG_HDR + 4L * fds.size())
                    .putInt(c + CMSG_LEVEL, Native.SOL_SOCKET).putInt(c + CMSG_TYPE, Native.SCM_RIGHTS);
            for (int i = 0; i < fds.size(); i++) m.mem.putInt(c + CMSG_HDR + 4 * i, fds.get(i).value());
        }
        int flags = Native.MSG_NOSIGNAL | (dontWait ? Native.MSG_DONTWAIT : 0);
        long n;
        do {
            n = Native.libc().sendmsg(fd.value(), m.base, flags);
        } while (n < 0 && Native.libcErrno() == Errno.EINTR);
        if (n < 0) throw new NativeException("sendmsg", Native.libcErrno());
        java.lang.ref.Reference.reachabilityFence(data);
        data.position(data.position() + (int) n);
        return (int) n;
    }

    /**
     * Receives into {@code into} (direct) and appends every fd that came with the bytes to {@code fdsOut}, as owned
     * {@link Fd}s. Returns the number of bytes read, 0 at end of stream.
     */
    public int receive(ByteBuffer into, List<Fd> fdsOut) throws NativeException {
        if (!into.isDirect()) throw new IllegalArgumentException("recvmsg needs a direct buffer");
        if (!into.hasRemaining()) throw new IllegalArgumentException("recvmsg needs room for at least one byte");
        Message m = recvMsg;
        m.prepare(into, cmsgSpace(4 * controlCapacity));
        long n;
        do {
            n = Native.libc().recvmsg(fd.value(), m.base, Native.MSG_CMSG_CLOEXEC);
        } while (n < 0 && Native.libcErrno() == Errno.EINTR);
        if (n < 0) throw new NativeException("recvmsg", Native.libcErrno());
        java.lang.ref.Reference.reachabilityFence(into);
        into.position(into.position() + (int) n);
        int before = fdsOut.size();
        // The kernel rewrote msg_controllen to what it filled; walk the cmsghdrs within it.
        long used = m.mem.getLong(MSG_CONTROLLEN);
        for (int off = 0; off + CMSG_HDR <= used; ) {
            int c = m.cmsg(off);
            long len = m.mem.getLong(c + CMSG_LEN);
            if (len < CMSG_HDR) break;
            if (m.mem.getInt(c + CMSG_LEVEL) == Native.SOL_SOCKET && m.mem.getInt(c + CMSG_TYPE) == Native.SCM_RIGHTS) {
                for (int i = 0; CMSG_HDR + 4 * (i + 1) <= len; i++) fdsOut.add(new Fd(m.mem.getInt(c + CMSG_HDR + 4 * i)));
            }
            off += (int) ((len + 7) & ~7L);
        }
        if ((m.mem.getInt(MSG_FLAGS) & Native.MSG_CTRUNC) != 0) {
            // The fds that fit are ours to close; the rest the kernel already closed. Either way the message is lost.
            for (int i = fdsOut.size() - 1; i >= before; i--) fdsOut.remove(i).close();
            throw new TruncatedControlException((int) n);
        }
        return (int) n;
    }

    /** Sends all remaining bytes (blocking), with fds on the first chunk. */
    public void sendFully(ByteBuffer data, List<Fd> fds) throws NativeException {
        send(data, fds, false);
        while (data.hasRemaining()) send(data, List.of(), false);
    }

    /** shutdown(SHUT_WR): the peer reads end of stream after the bytes already sent; errors are moot then. */
    public void shutdownOutput() {
        if (fd.isOpen()) Native.libc().shutdown(fd.value(), 1);
    }

    /** shutdown(SHUT_RDWR): a blocked receive returns end of stream; the fd stays allocated until close. */
    public void shutdown() {
        if (fd.isOpen()) Native.libc().shutdown(fd.value(), 2);
    }

    public boolean isOpen() { return fd.isOpen(); }

    @Override
    public void close() { fd.close(); }

    @Override
    public String toString() { return "UnixLink(" + fd + ")"; }

    /** recvmsg reported MSG_CTRUNC: the control buffer was too small and fds were dropped. */
    public static final class TruncatedControlException extends NativeException {
        private final int bytes;

        TruncatedControlException(int bytes) {
            super("recvmsg", 0);
            this.bytes = bytes;
        }

        /** Data bytes that did arrive with the truncated message. */
        public int bytes() { return bytes; }

        @Override
        public String getMessage() { return "recvmsg: control data truncated (MSG_CTRUNC), fds dropped"; }
    }
}

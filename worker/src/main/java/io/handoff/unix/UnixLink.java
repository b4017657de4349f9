package io.handoff.unix;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import jnr.posix.CmsgHdr;
import jnr.posix.MsgHdr;

/**
 * One end of a connected Unix stream socket that carries bytes and, on the side, file descriptors (SCM_RIGHTS).
 *
 * <p>Kernel rules this class encodes: the data buffer must be direct; every message carries at least one data byte
 * (a zero-byte sendmsg on a stream socket loses the fds); at most {@link #MAX_FDS} fds per message; fds are received
 * with MSG_CMSG_CLOEXEC so they never leak into a spawned child, and a truncated control buffer (MSG_CTRUNC) is an
 * error because the kernel has already closed the fds that did not fit.
 */
public final class UnixLink implements Closeable {
    /** SCM_MAX_FD in the Linux kernel. */
    public static final int MAX_FDS = 253;

    private final Fd fd;
    private final int controlCapacity;

    private UnixLink(Fd fd, int controlCapacity) {
        this.fd = fd;
        this.controlCapacity = controlCapacity;
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
        MsgHdr msg = Native.posix().allocateMsgHdr();
        // jnr takes the buffer's base address, not its position: hand it a slice that starts at the position.
        msg.setIov(new ByteBuffer[] {data.slice()});
        if (!fds.isEmpty()) {
            CmsgHdr cmsg = msg.allocateControl(4 * fds.size());
            cmsg.setLevel(Native.SOL_SOCKET);
            cmsg.setType(Native.SCM_RIGHTS);
            ByteBuffer ints = ByteBuffer.allocate(4 * fds.size()).order(ByteOrder.nativeOrder());
            for (Fd f : fds) ints.putInt(f.value());
            ints.flip();
            cmsg.setData(ints);
        }
        int flags = Native.MSG_NOSIGNAL | (dontWait ? Native.MSG_DONTWAIT : 0);
        int n;
        do {
            n = Native.posix().sendmsg(fd.value(), msg, flags);
        } while (n < 0 && Native.posixErrno() == Errno.EINTR);
        if (n < 0) throw new NativeException("sendmsg", Native.posixErrno());
        data.position(data.position() + n);
        return n;
    }

    /**
     * Receives into {@code into} (direct) and appends every fd that came with the bytes to {@code fdsOut}, as owned
     * {@link Fd}s. Returns the number of bytes read, 0 at end of stream.
     */
    public int receive(ByteBuffer into, List<Fd> fdsOut) throws NativeException {
        if (!into.isDirect()) throw new IllegalArgumentException("recvmsg needs a direct buffer");
        MsgHdr msg = Native.posix().allocateMsgHdr();
        msg.setIov(new ByteBuffer[] {into.slice()});
        msg.allocateControl(4 * controlCapacity);
        int n;
        do {
            n = Native.posix().recvmsg(fd.value(), msg, Native.MSG_CMSG_CLOEXEC);
        } while (n < 0 && Native.posixErrno() == Errno.EINTR);
        if (n < 0) throw new NativeException("recvmsg", Native.posixErrno());
        into.position(into.position() + n);
        int before = fdsOut.size();
        for (CmsgHdr cmsg : msg.getControls()) {
            if (cmsg.getLevel() != Native.SOL_SOCKET || cmsg.getType() != Native.SCM_RIGHTS) continue;
            ByteBuffer ints = cmsg.getData().order(ByteOrder.nativeOrder());
            while (ints.remaining() >= 4) fdsOut.add(new Fd(ints.getInt()));
        }
        if ((msg.getFlags() & Native.MSG_CTRUNC) != 0) {
            // The fds that fit are ours to close; the rest the kernel already closed. Either way the message is lost.
            for (int i = fdsOut.size() - 1; i >= before; i--) fdsOut.remove(i).close();
            throw new TruncatedControlException(n);
        }
        return n;
    }

    /** Sends all remaining bytes (blocking), with fds on the first chunk. */
    public void sendFully(ByteBuffer data, List<Fd> fds) throws NativeException {
        send(data, fds, false);
        while (data.hasRemaining()) send(data, List.of(), false);
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

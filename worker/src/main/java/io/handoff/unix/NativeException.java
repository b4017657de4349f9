package io.handoff.unix;

import java.io.IOException;

/** A failed system call: names the call and the errno, like {@code sendmsg: EPIPE (32)}. */
public class NativeException extends IOException {
    private final String syscall;
    private final int errno;

    NativeException(String syscall, int errno) {
        super(syscall + ": " + Errno.name(errno) + " (" + errno + ")");
        this.syscall = syscall;
        this.errno = errno;
    }

    public String syscall() { return syscall; }

    public int errno() { return errno; }

    /** The peer is gone: its end of a stream socket was closed or reset. */
    public boolean isPeerGone() { return errno == Errno.EPIPE || errno == Errno.ECONNRESET; }

    /** The process (EMFILE) or the system (ENFILE) has no fd left to give. */
    public boolean isOutOfFds() { return errno == Errno.EMFILE || errno == Errno.ENFILE; }

    /** A non-blocking call would have blocked. */
    public boolean isWouldBlock() { return errno == Errno.EAGAIN; }
}

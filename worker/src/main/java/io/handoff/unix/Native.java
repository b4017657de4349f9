package io.handoff.unix;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LastError;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The only door to native code. jnr-posix gives getpid/geteuid; the socket calls are bound straight from libc with
 * jnr-ffi, because jnr-posix lacks accept4 and getsockopt, and its sendmsg/recvmsg allocate native structures per
 * message that are reachable only through raw addresses (a GC between building the message and the syscall frees
 * them; see {@link UnixLink}). Both are loaded on first use, so a process that
 * never passes an fd never pays for native initialisation.
 */
final class Native {
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    static final int MSG_CTRUNC = 0x08;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SOCK_CLOEXEC = 0x80000;

    /** libc calls jnr-posix does not expose. */
    public interface LibC {
        @SaveError
        int accept4(int sockfd, Pointer addr, Pointer addrlen, int flags);

        @SaveError
        int getsockopt(int sockfd, int level, int optname, byte[] optval, int[] optlen);

        @SaveError
        int close(int fd);

        @SaveError
        int fcntl(int fd, int cmd, int arg);

        @SaveError
        int shutdown(int sockfd, int how);

        /** {@code msg} is the address of a struct msghdr the caller keeps alive across the call. */
        @SaveError
        long sendmsg(int sockfd, long msg, int flags);

        @SaveError
        long recvmsg(int sockfd, long msg, int flags);
    }

    private static final class Holder {
        static final POSIX POSIX = POSIXFactory.getNativePOSIX();
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
    }

    private Native() {}

    static POSIX posix() { return Holder.POSIX; }

    /** The native address of a direct buffer's first byte (not its position). */
    static long address(java.nio.ByteBuffer direct) {
        return com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(direct);
    }

    static LibC libc() { return Holder.LIBC; }

    static int libcErrno() { return LastError.getLastError(Holder.RUNTIME); }

    static void closeQuietly(int fd) {
        // close(2) is never retried on EINTR on Linux: the fd is released either way.
        Holder.LIBC.close(fd);
    }

    /** Loads the native bindings now, so the first connection does not pay for it. */
    static void warmUp() {
        // UnixLink lays out struct msghdr by hand, for the LP64 Linux ABI.
        if (Holder.RUNTIME.addressSize() != 8 || !System.getProperty("os.name").equals("Linux")) {
            throw new UnsupportedOperationException("fd passing needs 64-bit Linux");
        }
        Holder.POSIX.getpid();
        Holder.LIBC.close(-1);
    }
}

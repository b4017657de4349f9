package io.handoff.unix;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LastError;
import jnr.ffi.annotations.SaveError;

/**
 * The only door to native code: a few dozen libc calls bound with jnr-ffi (jnr-posix's foundation). Not jnr-posix's own
 * POSIX facade: it lacks accept4 and getsockopt, its sendmsg/recvmsg allocate native structures per message that
 * are reachable only through raw addresses (a GC between building the message and the syscall frees them; see
 * {@link UnixLink}), and generating its several-hundred-method binding took ~0.8 s of every worker's start. Both are loaded on first use, so a process that
 * never passes an fd never pays for native initialisation.
 */
final class Native {
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int TCP_DEFER_ACCEPT = 9;
    static final int TCP_NOTSENT_LOWAT = 25;
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVBUFFORCE = 33;
    static final int SO_RCVTIMEO = 20;
    static final int POLLIN = 0x1;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_PEEK = 0x02;
    static final int MSG_CTRUNC = 0x08;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SHUT_RDWR = 2;
    static final int POLLHUP = 0x10;
    static final int POLLRDHUP = 0x2000;
    static final int RLIMIT_NOFILE = 7;
    static final long SIG_DFL = 0;
    static final long SIG_IGN = 1;
    /** sizeof(struct sigaction) is 152 on x86_64 and aarch64 glibc; room to spare. */
    static final int SIGACTION_BYTES = 256;

    /** The libc calls handoff makes. */
    public interface LibC {
        /** {@code addr} and {@code addrlen} are native addresses (0 for NULL) the caller keeps alive. */
        @SaveError
        int accept4(int sockfd, long addr, long addrlen, int flags);

        @SaveError
        int getsockopt(int sockfd, int level, int optname, byte[] optval, int[] optlen);

        @SaveError
        int setsockopt(int sockfd, int level, int optname, int[] optval, int optlen);

        @SaveError
        int close(int fd);

        @SaveError
        int fcntl(int fd, int cmd, int arg);

        @SaveError
        int shutdown(int sockfd, int how);

        /** {@code fds} holds struct pollfd entries (int fd, short events, short revents) in native order. */
        @SaveError
        int poll(byte[] fds, long nfds, int timeout);

        @SaveError
        int listen(int sockfd, int backlog);

        @SaveError
        int socket(int domain, int type, int protocol);

        /** {@code addr} is a whole struct sockaddr, copied in. */
        @SaveError
        int bind(int sockfd, @jnr.ffi.annotations.In byte[] addr, int addrlen);

        @SaveError
        int connect(int sockfd, @jnr.ffi.annotations.In byte[] addr, int addrlen);

        int getpid();

        int geteuid();

        @SaveError
        int kill(int pid, int sig);

        @SaveError
        int setsid();

        /** {@code rlim} is struct rlimit: {rlim_cur, rlim_max}, two 8-byte unsigned longs on LP64 Linux. */
        @SaveError
        int getrlimit(int resource, long[] rlim);

        @SaveError
        int setrlimit(int resource, long[] rlim);

        @SaveError
        int fchmod(int fd, int mode);

        /** {@code msg} is the address of a struct msghdr the caller keeps alive across the call. */
        @SaveError
        long sendmsg(int sockfd, long msg, int flags);

        @SaveError
        long recvmsg(int sockfd, long msg, int flags);

        @SaveError
        long recv(int sockfd, @jnr.ffi.annotations.Out byte[] buf, long len, int flags);

        /**
         * With {@code act} null, only reads the disposition into {@code oldact} (struct sigaction, whose first 8 bytes
         * are the handler on LP64 Linux); never used here to install a handler, which the JVM owns.
         */
        @SaveError
        int sigaction(int signum, byte[] act, @jnr.ffi.annotations.Out byte[] oldact);

        /** Only ever called with {@link #SIG_DFL}, for a signal found ignored. */
        @SaveError
        long signal(int signum, long handler);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
    }

    private Native() {}

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
        Holder.LIBC.getpid();
    }
}

package io.handoff.unix;

/**
 * The process's open-file limit (RLIMIT_NOFILE). Every connection costs an fd, so this is a hard ceiling on how many
 * connections one process can hold; children inherit it at spawn.
 *
 * @param soft the limit in force (what accept(2) fails against with EMFILE)
 * @param hard how far an unprivileged process may raise {@code soft}
 */
public record FdLimit(long soft, long hard) {
    /** RLIM_INFINITY read as a signed long. */
    private static final long INFINITY = -1L;

    /** The current limits; {@link Long#MAX_VALUE} stands for unlimited. */
    public static FdLimit current() throws NativeException {
        long[] rlim = new long[2];
        if (Native.libc().getrlimit(Native.RLIMIT_NOFILE, rlim) < 0) {
            throw new NativeException("getrlimit(RLIMIT_NOFILE)", Native.libcErrno());
        }
        return new FdLimit(unsigned(rlim[0]), unsigned(rlim[1]));
    }

    /**
     * Raises the soft limit to the hard one (no privilege needed) and returns the limits now in force. The 1024 that
     * many systems still default to exists for select(2), which nothing here uses. (HotSpot does the same at start
     * unless -XX:-MaxFDLimit; doing it here does not depend on that flag and tells us the figure.)
     */
    public static FdLimit raise() throws NativeException {
        long[] rlim = new long[2];
        if (Native.libc().getrlimit(Native.RLIMIT_NOFILE, rlim) < 0) {
            throw new NativeException("getrlimit(RLIMIT_NOFILE)", Native.libcErrno());
        }
        if (rlim[0] != rlim[1]) {
            rlim[0] = rlim[1];
            if (Native.libc().setrlimit(Native.RLIMIT_NOFILE, rlim) < 0) {
                throw new NativeException("setrlimit(RLIMIT_NOFILE)", Native.libcErrno());
            }
        }
        return current();
    }

    private static long unsigned(long rlim) { return rlim == INFINITY || rlim < 0 ? Long.MAX_VALUE : rlim; }

    @Override
    public String toString() {
        return (soft == Long.MAX_VALUE ? "unlimited" : Long.toString(soft)) + "/"
                + (hard == Long.MAX_VALUE ? "unlimited" : Long.toString(hard));
    }
}

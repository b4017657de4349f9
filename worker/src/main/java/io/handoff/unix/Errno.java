package io.handoff.unix;

/** The few Linux errno values the code reacts to, and a readable name for any errno. */
final class Errno {
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EPIPE = 32;
    static final int ECONNREFUSED = 111;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;
    static final int EMFILE = 24;
    static final int ENFILE = 23;

    private Errno() {}

    static String name(int errno) {
        try {
            jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
            if (e != null && e.defined()) return e.name();
        } catch (RuntimeException ignored) {
            // fall through to the number
        }
        return "errno";
    }
}

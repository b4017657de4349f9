package io.handoff.unix;

/** Signals by pid (kill(2)); the pids are always ones this process spawned or was given. */
public final class Processes {
    public static final int SIGQUIT = 3;

    private Processes() {}

    /** Sends {@code signo} to {@code pid}; returns false when the process is already gone. */
    public static boolean signal(long pid, int signo) {
        return Native.libc().kill((int) pid, signo) == 0;
    }

    /** Starts a new session (setsid(2)): no controlling terminal, our own process group. */
    public static void newSession() throws NativeException {
        if (Native.libc().setsid() < 0) throw new NativeException("setsid", Native.libcErrno());
    }
}

package io.handoff.unix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import sun.misc.Signal;

/**
 * Signal dispositions and handlers. A signal ignored when a process starts stays ignored across exec ({@code nohup}
 * ignores HUP; a non-interactive shell's {@code cmd &} ignores INT and QUIT), and HotSpot installs no handler for
 * HUP, INT or TERM it finds ignored: without {@link #handle} resetting them first, {@code kill -HUP} would do nothing
 * and {@code kill -INT} would not stop the process. Only a signal found ignored is reset: one the JVM handles (QUIT
 * for thread dumps, USR2 for its own thread suspension) is never SIG_IGN, and is left alone.
 */
public final class Signals {
    /** Every signal handoff relies on, in the supervisor and in its workers. */
    public static final List<String> RELIED_ON = List.of("HUP", "INT", "QUIT", "TERM", "USR1", "USR2", "TTIN", "TTOU");
    /** The signals the JVM itself turns into an orderly exit (shutdown hooks run), when they are not ignored. */
    private static final List<String> JVM_EXITS_ON = List.of("HUP", "INT", "TERM");

    private Signals() {}

    public static int number(String name) { return new Signal(name).getNumber(); }

    /** True when {@code name}'s disposition is SIG_IGN now. */
    public static boolean isIgnored(String name) {
        byte[] old = new byte[Native.SIGACTION_BYTES];
        if (Native.libc().sigaction(number(name), null, old) < 0) return false;
        return ByteBuffer.wrap(old).order(ByteOrder.nativeOrder()).getLong(0) == Native.SIG_IGN;
    }

    /**
     * Undoes what the starting environment ignored, for every signal in {@link #RELIED_ON}: HUP, INT and TERM get
     * back what the JVM would have installed (an exit with status 128 + the signal, shutdown hooks first); the others
     * their default action. Returns the names that were ignored. Run it first thing in main.
     */
    public static List<String> restoreIgnored() {
        List<String> restored = new ArrayList<>();
        for (String name : RELIED_ON) {
            if (!isIgnored(name)) continue;
            restored.add(name);
            int signo = number(name);
            if (Native.libc().signal(signo, Native.SIG_DFL) == -1) continue; // EINVAL only: nothing more to do
            if (JVM_EXITS_ON.contains(name)) Signal.handle(new Signal(name), s -> System.exit(128 + signo));
        }
        return restored;
    }

    /**
     * Runs {@code onSignal} (on the JVM's signal thread: it must only enqueue) for {@code name}, even if the signal
     * was ignored when the process started. Throws IllegalArgumentException for a signal the JVM keeps for itself.
     */
    public static void handle(String name, Runnable onSignal) {
        if (isIgnored(name)) Native.libc().signal(number(name), Native.SIG_DFL);
        Signal.handle(new Signal(name), s -> onSignal.run());
    }

    /** Ignores {@code name} from here on (a worker ignores the terminal's Ctrl-C: its supervisor decides). */
    public static void ignore(String name) { Signal.handle(new Signal(name), sun.misc.SignalHandler.SIG_IGN); }

    /** Sends {@code signal} to {@code pid}; false when the process is already gone. */
    public static boolean send(long pid, String name) { return Processes.signal(pid, number(name)); }
}

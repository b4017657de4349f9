package io.handoff.supervisor;

import java.util.Map;
import java.util.concurrent.BlockingQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signal handlers that do nothing but enqueue: the loop decides what a signal means (TERM graceful stop, INT fast
 * stop, HUP reload, TTIN/TTOU one worker more/less, USR1 reopen logs). QUIT stays the JVM's: it prints a thread
 * dump, and the only way to take it over (-Xrs) would also take away TERM, INT and HUP. Each handler is installed
 * even when the signal was ignored at start ({@code nohup}, a script's background job): see
 * {@link io.handoff.unix.Signals}.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);
    static final String[] HANDLED = {"TERM", "INT", "HUP", "TTIN", "TTOU", "USR1"};
    private static final Map<Integer, String> NAMES = Map.ofEntries(Map.entry(1, "HUP"), Map.entry(2, "INT"),
            Map.entry(3, "QUIT"), Map.entry(6, "ABRT"), Map.entry(9, "KILL"), Map.entry(10, "USR1"),
            Map.entry(11, "SEGV"), Map.entry(13, "PIPE"), Map.entry(15, "TERM"), Map.entry(21, "TTIN"),
            Map.entry(22, "TTOU"));

    private Signals() {}

    static void install(BlockingQueue<Event> events) {
        for (String name : HANDLED) {
            try {
                io.handoff.unix.Signals.handle(name, () -> events.add(new Event.Signal(name)));
            } catch (IllegalArgumentException e) {
                log.warn("cannot handle SIG{} here ({}); it keeps its default action", name, e.getMessage());
            }
        }
    }

    static String name(int signo) { return NAMES.getOrDefault(signo, "SIG" + signo); }
}

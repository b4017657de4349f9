package io.handoff.supervisor;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.unix.NotifySocket;

/**
 * Tells systemd (Type=notify / notify-reload) or the daemon launcher what the supervisor is doing: READY=1 once
 * serving, RELOADING=1 during a reload, STOPPING=1 at stop, STATUS=... along the way, and WATCHDOG=1 from the loop
 * when the unit asks for a watchdog, so a stuck loop gets the supervisor restarted. Without NOTIFY_SOCKET every
 * call does nothing.
 */
public final class SystemdNotifier {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);

    private final NotifySocket socket;
    private final long watchdogIntervalNanos;
    private long lastWatchdogNanos;

    private SystemdNotifier(NotifySocket socket, long watchdogIntervalNanos) {
        this.socket = socket;
        this.watchdogIntervalNanos = watchdogIntervalNanos;
    }

    public static SystemdNotifier none() { return new SystemdNotifier(null, 0); }

    public static SystemdNotifier fromEnvironment() {
        try {
            NotifySocket s = NotifySocket.fromEnvironment();
            if (s == null) return none();
            long interval = 0;
            String usec = System.getenv("WATCHDOG_USEC");
            String wpid = System.getenv("WATCHDOG_PID");
            boolean forUs = wpid == null || wpid.equals(Long.toString(ProcessHandle.current().pid()));
            if (usec != null && forUs) {
                // Ping at half the interval, as sd_watchdog_enabled(3) recommends.
                interval = Long.parseLong(usec) * 1000 / 2;
            }
            return new SystemdNotifier(s, interval);
        } catch (IOException | NumberFormatException e) {
            log.warn("NOTIFY_SOCKET is set but unusable: {}", e.toString());
            return none();
        }
    }

    public boolean isActive() { return socket != null; }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    public void reloading() {
        // notify-reload units require MONOTONIC_USEC; System.nanoTime is CLOCK_MONOTONIC on Linux.
        send("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    public void stopping() { send("STOPPING=1\nSTATUS=stopping"); }

    public void status(String status) { send("STATUS=" + status); }

    /** Called from every loop iteration; pings only when half the watchdog interval has passed. */
    public void watchdog() {
        if (watchdogIntervalNanos <= 0) return;
        long now = System.nanoTime();
        if (now - lastWatchdogNanos < watchdogIntervalNanos) return;
        lastWatchdogNanos = now;
        send("WATCHDOG=1");
    }

    private void send(String states) {
        if (socket == null) return;
        try {
            socket.send(states);
        } catch (IOException e) {
            log.debug("sd_notify failed: {}", e.toString());
        }
    }
}

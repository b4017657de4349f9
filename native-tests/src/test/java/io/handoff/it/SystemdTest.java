package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.handoff.unix.NotifySocket;

/** systemd integration for real: sd_notify read from a datagram socket, and socket activation with fd 3. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SystemdTest extends OneServerTest {

    /**
     * Every model: READY=1 once serving; each reload (SIGHUP and {@code ctl reload} alike) is RELOADING=1 followed by
     * READY=1 again, which a {@code Type=notify-reload} unit waits for; the in-process models, whose reload is over
     * at once, used to send no second READY.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fork", "threads", "virtual", "events"})
    void notifiesReadyReloadingWatchdogAndStopping(String model) throws Exception {
        Path sock = tmp.resolve("notify.sock");
        Path control = tmp.resolve("ctl.sock");
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        try (NotifySocket.Receiver rx = new NotifySocket.Receiver(sock)) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (String m; (m = rx.receive()) != null; ) got.add(m);
                } catch (Exception ignored) {
                    // closed
                }
            });
            List<String> args = new java.util.ArrayList<>(List.of("--model", model, "--handler", "hello",
                    "--bind", "127.0.0.1:0", "--control", control.toString()));
            if (model.equals("fork")) args.addAll(List.of("--workers", "1"));
            server = ServerProcess.serve(Map.of("NOTIFY_SOCKET", sock.toString(), "WATCHDOG_USEC", "400000"),
                    args.toArray(String[]::new));
            String ready = await(got, m -> m.contains("READY=1"));
            assertTrue(ready.contains("MAINPID=" + server.pid()) && ready.contains("STATUS=serving"), ready);
            await(got, m -> m.equals("WATCHDOG=1"));
            server.signal("HUP");
            String reloading = await(got, m -> m.contains("RELOADING=1"));
            assertTrue(reloading.matches("(?s).*MONOTONIC_USEC=\\d+.*"), reloading);
            assertTrue(await(got, m -> m.contains("READY=1")).contains("reloaded"));
            assertEquals(Boolean.TRUE, Control.send(control, "reload").get("ok"));
            await(got, m -> m.contains("RELOADING=1"));
            assertTrue(await(got, m -> m.contains("READY=1")).contains("reloaded"));
            server.signal("TERM");
            await(got, m -> m.contains("STOPPING=1"));
            assertEquals(0, server.awaitExit(Duration.ofSeconds(30)));
        }
    }

    private static String await(LinkedBlockingQueue<String> q, java.util.function.Predicate<String> match)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            String m = q.poll(100, TimeUnit.MILLISECONDS);
            if (m != null && match.test(m)) return m;
        }
        throw new AssertionError("no matching notification within 60s; left: " + q);
    }

    /**
     * A listener made by another process and passed as fd 3 with LISTEN_FDS/LISTEN_PID, as systemd does. python3
     * plays systemd: it binds, moves the socket to fd 3 and execs the supervisor (exec keeps the pid).
     */
    @Test
    void servesTheListenerPassedAsFd3() throws Exception {
        String py = "import os,socket,sys\n"
                + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                + "s.bind(('127.0.0.1',0)); s.listen(128)\n"
                + "os.dup2(s.fileno(),3); os.set_inheritable(3,True)\n"
                + "print('port', s.getsockname()[1], flush=True)\n"
                + "os.environ['LISTEN_FDS']='1'; os.environ['LISTEN_PID']=str(os.getpid())\n"
                + "os.execv(sys.argv[1], sys.argv[1:])\n";
        List<String> cmd = new java.util.ArrayList<>(List.of("python3", "-c", py));
        cmd.addAll(ServerProcess.javaCommand());
        cmd.addAll(List.of("serve", "--workers", "1", "--handler", "hello"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        server = ServerProcess.adopt(p, 1);
        String portLine = server.awaitLog(l -> l.startsWith("port "), Duration.ofSeconds(5));
        int port = Integer.parseInt(portLine.substring(5).trim());
        assertEquals("127.0.0.1:" + port, server.addresses().get(0), server.log());
        for (int i = 0; i < 10; i++) assertEquals("Hello 127.0.0.1\n", Clients.readAll("127.0.0.1:" + port));
        // The worker must not have inherited the listener.
        long inode = -1;
        for (long w : server.workerPids()) {
            assertTrue(Procs.socketInodes(w).size() <= 3, "worker holds unexpected sockets: " + Procs.socketInodes(w));
        }
        assertEquals(-1, inode);
    }
}

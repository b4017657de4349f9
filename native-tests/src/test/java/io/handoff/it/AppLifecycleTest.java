package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What handoff's lifecycle means for a servlet app in fork workers: a deploy by reload, and a graceful drain. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AppLifecycleTest {
    @TempDir
    Path tmp;

    private Path control() { return tmp.resolve("run").resolve("ctl.sock"); }

    @ParameterizedTest(name = "--dispatch {0}")
    @ValueSource(strings = {"least-loaded", "shared"})
    void aDeployIsAJarReplacedOnDiskAndAReloadAndFailsNoRequest(String dispatch) throws Exception {
        Path jar = tmp.resolve("app.jar");
        Files.copy(ProbeServlet.jar(tmp, " v1", "v1.jar"), jar);
        Path v2 = ProbeServlet.jar(tmp, " v2", "v2.jar");
        Files.createDirectories(control().getParent());
        try (ServerProcess s = ServerProcess.serve("--model", "fork", "--workers", "2", "--dispatch", dispatch,
                "--bind", "127.0.0.1:0", "--control", control().toString(), "--handler", ProbeServlet.CLASS_NAME,
                "--handler-classpath", jar.toString())) {
            try {
                assertTrue(hello(s.port(0)).endsWith(" v1"));
                try (HttpLoad load = new HttpLoad(s.port(0), 8)) {
                    Thread.sleep(1000);
                    // As a deploy script would: the new jar moved into place, then a reload.
                    Path staged = tmp.resolve("app.jar.new");
                    Files.copy(v2, staged);
                    Files.move(staged, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    assertEquals(true, Control.send(control(), "reload").get("ok"));
                    Control.awaitStatus(control(), x -> !Boolean.TRUE.equals(x.get("reloading"))
                            && Control.workers(x).size() == 2
                            && Control.workers(x).stream().allMatch(w -> w.get("generation").equals(2L)),
                            Duration.ofSeconds(60));
                    Thread.sleep(1000);
                    String summary = load.stop();
                    System.out.println("deploy under load: " + summary);
                    assertEquals(0, load.failed.get(), summary);
                    assertEquals(0, load.resetUnanswered.get(), summary);
                    assertTrue(load.ok.get() > 200, summary);
                }
                for (int i = 0; i < 10; i++) assertTrue(hello(s.port(0)).endsWith(" v2"));
            } finally {
                System.out.println("---- server log ----\n" + s.log());
            }
        }
    }

    @Test
    void aStopLetsTheRequestInFlightFinish() throws Exception {
        Path jar = ProbeServlet.jar(tmp, "", "probe.jar");
        try (ServerProcess s = ServerProcess.serve("--model", "fork", "--workers", "1", "--bind", "127.0.0.1:0",
                "--handler", ProbeServlet.CLASS_NAME, "--handler-classpath", jar.toString(),
                "--graceful-timeout", "10s")) {
            try (Socket c = Clients.tcp(s.port(0))) {
                c.setSoTimeout(20_000);
                c.getOutputStream().write("GET /sleep?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(300); // the request is in the servlet now
                s.signal("TERM");
                Clients.HttpResponse r = Clients.readResponse(c.getInputStream());
                assertEquals(200, r.status());
                assertEquals("slept", r.body());
                // Jetty's graceful shutdown: the last answer of a draining server closes its connection.
                assertEquals(-1, c.getInputStream().read());
            }
            assertEquals(0, s.awaitExit(Duration.ofSeconds(30)), s.log());
            assertTrue(s.log().contains("drained gracefully"), s.log());
        }
    }

    private static String hello(int port) throws Exception {
        try (Socket c = Clients.tcp(port)) {
            c.setSoTimeout(20_000);
            c.getOutputStream().write("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return Clients.readResponse(c.getInputStream()).body().trim();
        }
    }
}

package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Servlet apps in fork workers: every contract test, plus what only separate processes can contain. */
class ServletForkTest extends ServletAppContractTest {
    @Override
    List<String> modelArgs() { return List.of("--model", "fork", "--workers", "2"); }

    @Test
    void aServletCallingSystemExitTakesOnlyItsWorker() throws Exception {
        Set<String> before = pids();
        assertEquals(2, before.size(), "both workers should serve: " + before);
        // A raw socket, sent once: HttpClient would retry the GET on the other worker when this one dies.
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(Clients.address(server.addresses().get(0)), 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET /exit HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            s.getInputStream().readAllBytes(); // the worker is gone mid-request: end of stream, no answer
        }
        // The other worker serves throughout; the dead one is replaced, its servlet initialised, within the deadline.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int ok = 0;
        Set<String> seen = new HashSet<>();
        while (System.nanoTime() < deadline && !(ok >= 20 && !before.containsAll(seen))) {
            Clients.HttpResponse r = fresh("/hello");
            assertEquals(200, r.status(), r.body());
            assertTrue(r.body().startsWith("hello initialised=true"), r.body());
            ok++;
            seen.add(pid(r.body()));
            Thread.sleep(20);
        }
        assertTrue(ok >= 20 && !before.containsAll(seen), "after the exit: ok=" + ok + " before=" + before
                + " seen=" + seen + "\n" + server.log());
        assertTrue(server.process().isAlive(), "the supervisor must survive");
        assertEquals(1, server.countLines("worker died"), server.log());
        assertTrue(server.log().contains("status=7"), server.log());
    }

    /** One request on a connection of its own, so that successive ones can reach different workers. */
    private Clients.HttpResponse fresh(String path) throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(Clients.address(server.addresses().get(0)), 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes());
            return Clients.readResponse(s.getInputStream());
        }
    }

    private static String pid(String body) { return body.replaceAll("(?s).*pid=(\\d+).*", "$1"); }

    private Set<String> pids() throws Exception {
        Set<String> pids = new HashSet<>();
        for (int i = 0; i < 40 && pids.size() < 2; i++) {
            pids.add(pid(fresh("/hello").body()));
        }
        return pids;
    }

    @Test
    void eventsModelRefusesAServletInOneLine() throws Exception {
        ServerProcess.Result r = ServerProcess.run(Duration.ofSeconds(30), "serve", "--model", "events",
                "--handler", ProbeServlet.CLASS_NAME, "--handler-classpath", tmp.resolve("probe.jar").toString(),
                "--bind", "127.0.0.1:0");
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.lines().size(), r.output());
        assertTrue(r.output().contains("--model events"), r.output());
    }
}

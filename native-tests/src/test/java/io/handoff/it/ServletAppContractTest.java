package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a servlet app gets in every model that runs one: a real {@code handoff serve} serving a servlet compiled at
 * test time (GET and POST bodies, a streamed response, async, a throwing request), the client's address, and
 * readiness only after init. One server per class: Jetty's start is the slow part.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class ServletAppContractTest {
    @TempDir
    static Path tmp;

    ServerProcess server;
    HttpClient http;
    String base;

    /** The flags that pick the model. */
    abstract List<String> modelArgs();

    @BeforeAll
    void start() throws Exception {
        Path jar = ProbeServlet.jar(tmp, "", "probe.jar");
        List<String> args = new ArrayList<>(modelArgs());
        args.addAll(List.of("--handler", ProbeServlet.CLASS_NAME, "--handler-classpath", jar.toString(),
                "--bind", "127.0.0.1:0", "--max-body-bytes", "100000"));
        server = ServerProcess.serve(args.toArray(String[]::new));
        base = "http://" + server.addresses().get(0);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    void stop() {
        if (http != null) http.close();
        if (server != null) {
            server.close();
            System.out.println("---- server pid=" + server.pid() + " log ----\n" + server.log());
        }
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesOnlyOnceTheServletIsInitialised() throws Exception {
        // The first request after "listening on": init() (700 ms) must have run in whoever serves it.
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = get("/hello");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("hello initialised=true pid="), r.body());
        }
    }

    @Test
    void postBodiesComeBackWhole() throws Exception {
        byte[] body = new byte[64 * 1024];
        new SplittableRandom(7).nextBytes(body);
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/echo"))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals(Integer.toString(body.length), r.headers().firstValue("X-Length").orElse(""));
        assertArrayEquals(body, r.body());
    }

    @Test
    void aBodyOverTheLimitIsRefusedWith413() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/echo"))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[200_000]))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
    }

    @Test
    void streamedResponsesArriveInFull() throws Exception {
        HttpResponse<String> r = get("/stream?n=5000");
        assertEquals(200, r.statusCode());
        assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElse(""), r.headers().toString());
        List<String> lines = r.body().lines().toList();
        assertEquals(5000, lines.size());
        assertEquals("line 4999", lines.get(4999));
    }

    @Test
    void asyncServletsComplete() throws Exception {
        HttpResponse<String> r = get("/async");
        assertEquals(200, r.statusCode());
        assertEquals("async done", r.body());
    }

    @Test
    void aThrowingRequestIsA500AndTheServerServesOn() throws Exception {
        assertEquals(500, get("/throw").statusCode());
        HttpResponse<String> r = get("/hello");
        assertEquals(200, r.statusCode());
    }

    @Test
    void getRemoteAddrIsTheClientsAddress() throws Exception {
        // From 127.0.0.7, a loopback address nothing else here uses: the servlet must see that one and our port.
        InetSocketAddress target = (InetSocketAddress) Clients.address(server.addresses().get(0));
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.7"), 0));
            s.connect(target, 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET /remote HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(readAll(s.getInputStream()), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith("\r\n\r\n127.0.0.7:" + s.getLocalPort()), response);
        }
    }

    @Test
    void keepAliveConnectionsServeManyRequests() throws Exception {
        InetSocketAddress target = (InetSocketAddress) Clients.address(server.addresses().get(0));
        try (Socket s = new Socket()) {
            s.connect(target, 5000);
            s.setSoTimeout(20_000);
            var in = s.getInputStream();
            for (int i = 0; i < 50; i++) {
                s.getOutputStream().write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Clients.HttpResponse r = Clients.readResponse(in);
                assertEquals(200, r.status(), "request " + i);
            }
        }
    }

    static byte[] readAll(InputStream in) throws IOException { return in.readAllBytes(); }
}

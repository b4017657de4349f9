package io.handoff.handler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.handoff.handler.HttpTestSupport.Client;
import io.handoff.handler.HttpTestSupport.Response;
import io.handoff.handler.HttpTestSupport.Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpHandlerTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

    private final List<Server> servers = new ArrayList<>();

    @TempDir
    Path tmp;

    @AfterEach
    void stopServers() throws Exception {
        try {
            for (Server s : servers) {
                assertEquals(List.of(), s.unexpected(), "handler threw something other than an IO error");
            }
        } finally {
            for (Server s : servers) s.close();
        }
    }

    private Server server() throws IOException { return server(null); }

    private Server server(Path root) throws IOException {
        Server s = newServer(new HttpHandler(root));
        servers.add(s);
        return s;
    }

    /** Where the handler runs: here a virtual thread per connection; subclasses run it elsewhere. */
    Server newServer(HttpHandler handler) throws IOException { return new Server(handler); }

    // ---- the hello response

    @Test
    void helloHasBodyAndHeaders() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            Response r = c.send(GET).read();
            assertEquals(200, r.status());
            assertEquals("hello\n", r.text());
            assertEquals("6", r.header("Content-Length"));
            assertEquals("text/plain", r.header("Content-Type"));
            assertEquals("handoff", r.header("Server"));
            assertNull(r.header("Connection"), "HTTP/1.1 keep-alive is the default and needs no header");
            String date = r.header("Date");
            assertNotNull(date);
            assertTrue(date.matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"), date);
            Instant when = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            assertTrue(Duration.between(when, Instant.now()).abs().toSeconds() < 5, date);

            Response query = c.send("GET /?name=x&y HTTP/1.1\r\nHost: test\r\n\r\n").read();
            assertEquals(200, query.status());
            assertEquals("hello\n", query.text());
        }
    }

    @Test
    void otherPathsWithoutRootAre404AndKeepTheConnection() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            Response r = c.send("GET /nothing HTTP/1.1\r\nHost: test\r\n\r\n").read();
            assertEquals(404, r.status());
            assertEquals("text/plain", r.header("Content-Type"));
            assertEquals(200, c.send(GET).read().status());
        }
    }

    @Test
    void absoluteFormIsAccepted() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            Response r = c.send("GET http://test:8080/?q HTTP/1.1\r\nHost: test:8080\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("hello\n", r.text());
        }
    }

    @Test
    void headHasHeadersButNoBody() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            Response head = c.send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n").read(true);
            assertEquals(200, head.status());
            assertEquals("6", head.header("Content-Length"));
            assertEquals("text/plain", head.header("Content-Type"));
            assertNotNull(head.header("Date"));
            assertEquals("handoff", head.header("Server"));
            // Had a body been sent, this would read it as the next status line and fail.
            Response get = c.send(GET).read();
            assertEquals("hello\n", get.text());
        }
    }

    @Test
    void dateIsFormattedAtMostOncePerSecond() {
        Set<byte[]> distinct = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 1000; i++) distinct.add(HttpDate.line());
        assertTrue(distinct.size() <= 2, "formatted " + distinct.size() + " times");
    }

    // ---- keep-alive and pipelining

    @Test
    void keepAliveServesHundredRequests() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            for (int i = 0; i < 100; i++) {
                Response r = c.send(GET).read();
                assertEquals(200, r.status());
                assertEquals("hello\n", r.text());
            }
        }
        assertEquals(1, server.accepted.get());
    }

    @Test
    void javaHttpClientReusesTheConnection() throws Exception {
        Server server = server();
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/");
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = client.send(
                        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals("hello\n", r.body());
            }
        }
        assertEquals(1, server.accepted.get(), "keep-alive should have served all requests on one connection");
    }

    @Test
    void fiftyPipelinedRequestsAreAnsweredInOrder() throws Exception {
        for (int i = 0; i < 50; i++) Files.writeString(tmp.resolve("f" + i + ".txt"), "file " + i + "\n");
        Server server = server(tmp);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            String method = i % 5 == 4 ? "HEAD" : "GET";
            all.append(method).append(" /f").append(i).append(".txt HTTP/1.1\r\nHost: test\r\n\r\n");
        }
        try (Client c = server.client()) {
            c.send(all.toString());
            for (int i = 0; i < 50; i++) {
                boolean head = i % 5 == 4;
                Response r = c.read(head);
                assertEquals(200, r.status());
                assertEquals(String.valueOf(("file " + i + "\n").length()), r.header("Content-Length"));
                assertEquals(head ? "" : "file " + i + "\n", r.text(), "response " + i);
            }
            // Still open and in step afterwards.
            assertEquals(404, c.send("GET /nope HTTP/1.1\r\nHost: test\r\n\r\n").read().status());
        }
    }

    @Test
    void pipelinedPairSentOneByteAtATime() throws Exception {
        Server server = server();
        byte[] pair = (GET + "HEAD /?x HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Client c = server.client()) {
            for (byte b : pair) {
                c.send(new byte[] {b});
                Thread.sleep(1);
            }
            assertEquals("hello\n", c.read().text());
            Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals("6", head.header("Content-Length"));
            assertEquals("hello\n", c.send(GET).read().text());
        }
    }

    @Test
    void pipelinedPairSplitAtEveryBoundary() throws Exception {
        Server server = server();
        byte[] pair = ("GET /?a HTTP/1.1\r\nHost: test\r\nX-Long: " + "v".repeat(40) + "\r\n\r\n"
                + "GET /missing HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int split = 1; split < pair.length; split++) {
            try (Client c = server.client()) {
                c.send(java.util.Arrays.copyOfRange(pair, 0, split));
                Thread.sleep(1);
                c.send(java.util.Arrays.copyOfRange(pair, split, pair.length));
                assertEquals(200, c.read().status(), "split at " + split);
                assertEquals(404, c.read().status(), "split at " + split);
            }
        }
    }

    @Test
    void bodyOfGetIsSkipped() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            c.send("GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello" + GET);
            assertEquals("hello\n", c.read().text());
            assertEquals("hello\n", c.read().text());
            // A body much larger than the read buffer, split across many reads.
            byte[] body = new byte[300_000];
            new Random(1).nextBytes(body);
            c.send("GET / HTTP/1.1\r\nHost: test\r\nContent-Length: " + body.length + "\r\n\r\n");
            c.send(body);
            c.send(GET);
            assertEquals("hello\n", c.read().text());
            assertEquals("hello\n", c.read().text());
        }
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            Response r = c.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: Close\r\n\r\n").read();
            assertEquals("close", r.header("Connection"));
            assertEquals("hello\n", r.text());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void http10ClosesByDefault() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            Response r = c.send("GET / HTTP/1.0\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("hello\n", r.text());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void http10KeepAliveStaysOpen() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            for (int i = 0; i < 3; i++) {
                Response r = c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("Connection"));
                assertEquals("hello\n", r.text());
            }
            Response last = c.send("GET / HTTP/1.0\r\n\r\n").read();
            assertEquals("close", last.header("Connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void cleanCloseBetweenRequestsEndsNormally() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            assertEquals(200, c.send(GET).read().status());
        }
        server.awaitFinished(1);
        assertEquals(List.of(), server.thrown);
    }

    @Test
    void partialRequestThenCloseGetsNoResponse() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            c.send("GET / HTTP/1.1\r\nHost: te");
            c.socket().shutdownOutput();
            assertEquals(0, c.readAll().length);
        }
        server.awaitFinished(1);
        assertEquals(List.of(), server.thrown);
    }

    @Test
    void strayCrlfBeforeARequestIsTolerated() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            assertEquals("hello\n", c.send("\r\n" + GET).read().text());
        }
    }

    // ---- errors

    /** Sends a request on a fresh connection and expects {@code status}, Connection: close, then the close. */
    private Response expectError(Server server, String request, int status) throws IOException {
        try (Client c = server.client()) {
            Response r = c.send(request).read();
            assertEquals(status, r.status(), () -> "for " + request.replace("\r", "\\r").replace("\n", "\\n"));
            assertEquals("close", r.header("Connection"));
            assertEquals("text/plain", r.header("Content-Type"));
            assertEquals("handoff", r.header("Server"));
            assertNotNull(r.header("Date"));
            assertTrue(r.text().startsWith(String.valueOf(status)), r.text());
            assertTrue(c.closedByServer(), "server should close after " + status);
            return r;
        }
    }

    @Test
    void malformedRequestsGet400() throws Exception {
        Server server = server();
        String[] bad = {
            "hello\r\n\r\n",
            "GET\r\n\r\n",
            "GET /\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: test\r\n\r\n",
            "GET / HTTP/1.1 \r\nHost: test\r\n\r\n",
            "GET / http/1.1\r\nHost: test\r\n\r\n",
            "GET / HTTP/1\r\nHost: test\r\n\r\n",
            "GET / HTTP/1.10\r\nHost: test\r\n\r\n",
            "GET nope HTTP/1.1\r\nHost: test\r\n\r\n",
            "GET /\u00e9 HTTP/1.1\r\nHost: test\r\n\r\n",
            "GET /\tx HTTP/1.1\r\nHost: test\r\n\r\n",
            " GET / HTTP/1.1\r\nHost: test\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: abc\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 1, 1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
            "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HEAD / HTTP/1.1\r\nHost: test\r\ntransfer-encoding: identity\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nX-Folded: a\r\n  b\r\n\r\n",
            "GET / HTTP/1.1\r\n Host: test\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : test\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nNo-Colon\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\n: empty-name\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nX-Ctl: a\u0001b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nX-Nul: a\u0000b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\r\nX-Del: a\u007fb\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: test\rX: y\r\n\r\n",
            "\r\n".repeat(20) + GET,
        };
        for (String request : bad) expectError(server, request, 400);
    }

    @Test
    void knownButUnsupportedMethodsGet405WithAllow() throws Exception {
        Server server = server();
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")) {
            String target = method.equals("CONNECT") ? "test:443" : method.equals("OPTIONS") ? "*" : "/";
            Response r = expectError(server,
                    method + " " + target + " HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc", 405);
            assertEquals("GET, HEAD", r.header("Allow"));
        }
    }

    @Test
    void unknownMethodGets501() throws Exception {
        Server server = server();
        expectError(server, "FOO / HTTP/1.1\r\nHost: test\r\n\r\n", 501);
        // Methods are case-sensitive: "get" is some other method.
        expectError(server, "get / HTTP/1.1\r\nHost: test\r\n\r\n", 501);
    }

    @Test
    void longRequestLineGets414() throws Exception {
        Server server = server();
        expectError(server, "GET /" + "a".repeat(17_000) + " HTTP/1.1\r\nHost: test\r\n\r\n", 414);
        // Not yet terminated: refused as soon as it is too long, without waiting for the end of the line.
        try (Client c = server.client()) {
            Response r = c.send("GET /" + "a".repeat(17_000)).read();
            assertEquals(414, r.status());
            assertTrue(c.closedByServer());
        }
        // A whole head of exactly the limit is fine (404: there is no such file, but the line was accepted).
        String rest = " HTTP/1.1\r\nHost: test\r\n\r\n";
        String path = "/" + "a".repeat(HttpLimits.DEFAULT_MAX_HEADER_BYTES - "GET /".length() - rest.length());
        try (Client c = server.client()) {
            assertEquals(404, c.send("GET " + path + rest).read().status());
        }
    }

    @Test
    void hugeHeaderSectionGets431() throws Exception {
        Server server = server();
        StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: test\r\n");
        for (int i = 0; i < 20; i++) request.append("X-H").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
        expectError(server, request.append("\r\n").toString(), 431);
        expectError(server, "GET / HTTP/1.1\r\nHost: test\r\nX-One: " + "v".repeat(17_000) + "\r\n\r\n", 431);
        // 15 KiB of headers is within the limit.
        StringBuilder ok = new StringBuilder("GET / HTTP/1.1\r\nHost: test\r\n");
        for (int i = 0; i < 15; i++) ok.append("X-H").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
        try (Client c = server.client()) {
            assertEquals(200, c.send(ok.append("\r\n").toString()).read().status());
        }
    }

    @Test
    void otherHttpVersionsGet505() throws Exception {
        Server server = server();
        expectError(server, "GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505);
        expectError(server, "GET / HTTP/1.2\r\nHost: test\r\n\r\n", 505);
        expectError(server, "GET / HTTP/0.9\r\n\r\n", 505);
    }

    @Test
    void errorAfterPipelinedRequestsKeepsEarlierAnswers() throws Exception {
        Server server = server();
        try (Client c = server.client()) {
            c.send(GET + GET + "BREW / HTTP/1.1\r\nHost: test\r\n\r\n" + GET);
            assertEquals(200, c.read().status());
            assertEquals(200, c.read().status());
            Response r = c.read();
            assertEquals(501, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void megabyteOfGarbageIsRefusedAndServerKeepsServing() throws Exception {
        Server server = server();
        byte[] random = new byte[1024 * 1024];
        new Random(42).nextBytes(random);
        byte[] letters = new byte[1024 * 1024];
        java.util.Arrays.fill(letters, (byte) 'A');
        for (byte[] garbage : List.of(random, letters)) {
            try (Client c = server.client()) {
                // The server may stop reading (and reset) long before a megabyte is written; never block on it.
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        c.send(garbage);
                    } catch (IOException expected) {
                        // Refused mid-write: fine.
                    }
                });
                byte[] answer = c.readAll();
                String text = new String(answer, StandardCharsets.ISO_8859_1);
                assertTrue(answer.length == 0 || text.startsWith("HTTP/1.1 400 ") || text.startsWith("HTTP/1.1 414 "),
                        text);
                // Unblocks the writer if the server neither read nor reset.
                c.socket().close();
                writer.join(HttpTestSupport.TIMEOUT_MILLIS);
                assertFalse(writer.isAlive());
            }
            try (Client next = server.client()) {
                assertEquals("hello\n", next.send(GET).read().text());
            }
        }
    }

    // ---- files

    @Test
    void servesFilesWithTypes() throws Exception {
        Files.writeString(tmp.resolve("index.html"), "<h1>hi</h1>\n");
        Files.writeString(tmp.resolve("a.txt"), "text\n");
        Files.writeString(tmp.resolve("s.css"), "p{}");
        Files.writeString(tmp.resolve("app.js"), "1");
        Files.writeString(tmp.resolve("d.json"), "{}");
        Files.write(tmp.resolve("i.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Files.write(tmp.resolve("p.JPG"), new byte[] {1});
        Files.writeString(tmp.resolve("v.svg"), "<svg/>");
        Files.write(tmp.resolve("blob"), new byte[] {0, 1, 2});
        Files.createDirectories(tmp.resolve("sub dir"));
        Files.writeString(tmp.resolve("sub dir/x.txt"), "nested\n");
        Files.write(tmp.resolve("empty.txt"), new byte[0]);
        Server server = server(tmp);
        Map<String, String> types = Map.of(
                "/a.txt", "text/plain; charset=utf-8",
                "/s.css", "text/css; charset=utf-8",
                "/app.js", "text/javascript; charset=utf-8",
                "/d.json", "application/json",
                "/i.png", "image/png",
                "/p.JPG", "image/jpeg",
                "/v.svg", "image/svg+xml",
                "/blob", "application/octet-stream");
        try (Client c = server.client()) {
            Response index = c.send(GET).read();
            assertEquals(200, index.status());
            assertEquals("<h1>hi</h1>\n", index.text());
            assertEquals("text/html; charset=utf-8", index.header("Content-Type"));
            assertEquals("<h1>hi</h1>\n", c.send("GET /index.html?v=2 HTTP/1.1\r\nHost: t\r\n\r\n").read().text());
            for (var e : types.entrySet()) {
                Response r = c.send("GET " + e.getKey() + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertEquals(200, r.status(), e.getKey());
                assertEquals(e.getValue(), r.header("Content-Type"), e.getKey());
                assertArrayEquals(Files.readAllBytes(tmp.resolve(e.getKey().substring(1))), r.body());
            }
            Response nested = c.send("GET /sub%20dir/./x.txt HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertEquals("nested\n", nested.text());
            Response empty = c.send("GET /empty.txt HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertEquals(200, empty.status());
            assertEquals("0", empty.header("Content-Length"));
            Response head = c.send("HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
            assertEquals("5", head.header("Content-Length"));
            assertEquals(404, c.send("GET /missing.txt HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            assertEquals(404, c.send("GET /a.txt/x HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            assertEquals(403, c.send("GET /sub%20dir HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            assertEquals(403, c.send("GET /sub%20dir/ HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            // 403 and 404 are answers to good requests: the connection stays usable.
            assertEquals(200, c.send("GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
        }
    }

    @Test
    void rootWithoutIndexSaysHello() throws Exception {
        Server server = server(tmp);
        try (Client c = server.client()) {
            Response r = c.send(GET).read();
            assertEquals("hello\n", r.text());
            assertEquals("text/plain", r.header("Content-Type"));
        }
    }

    @Test
    void rootMustBeADirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertThrows(NotDirectoryException.class, () -> new HttpHandler(file));
        assertThrows(IOException.class, () -> new HttpHandler(tmp.resolve("absent")));
        assertDoesNotThrow(() -> new HttpHandler(null));
    }

    @Test
    void largeFileIsStreamedWhole() throws Exception {
        byte[] big = new byte[5 * 1024 * 1024 + 7];
        new Random(7).nextBytes(big);
        Files.write(tmp.resolve("big.bin"), big);
        Server server = server(tmp);
        try (Client c = server.client()) {
            Response head = c.send("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
            assertEquals(String.valueOf(big.length), head.header("Content-Length"));
            // Pipelined behind the big one, to check the order of buffered and streamed output.
            Response r = c.send("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" + GET).read();
            assertEquals(200, r.status());
            assertEquals("application/octet-stream", r.header("Content-Type"));
            assertArrayEquals(big, r.body());
            assertEquals("hello\n", c.read().text());
        }
    }

    @Test
    void pathTraversalIsRefused() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "SECRET\n");
        Files.writeString(root.resolve("ok.txt"), "ok\n");
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("link.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("linkdir"), outside);
        Files.createSymbolicLink(root.resolve("inside.txt"), root.resolve("ok.txt"));
        Server server = server(root);
        String[] attacks = {
            "/../etc/passwd",
            "/../outside/secret.txt",
            "/%2e%2e/",
            "/%2e%2e/outside/secret.txt",
            "/%2E%2E%2Foutside%2Fsecret.txt",
            "/sub/../../outside/secret.txt",
            "/sub/%2e%2e/%2e%2e/outside/secret.txt",
            "/..%5coutside%5csecret.txt",
            "/link.txt",
            "/linkdir/secret.txt",
            "http://t/../outside/secret.txt",
        };
        for (String path : attacks) {
            try (Client c = server.client()) {
                Response r = c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertEquals(403, r.status(), path);
                assertFalse(r.text().contains("SECRET"), path);
            }
        }
        for (String path : List.of("/ok.txt%00.html", "/%00", "/%", "/%4", "/%c3%28")) {
            expectError(server, "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n", 400);
        }
        try (Client c = server.client()) {
            // A symlink that stays inside the root is fine.
            assertEquals("ok\n", c.send("GET /inside.txt HTTP/1.1\r\nHost: t\r\n\r\n").read().text());
            // ".." is refused even where it would stay inside: no normalising guesswork.
            assertEquals(403, c.send("GET /sub/../ok.txt HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
        }
    }

    // ---- the parser alone

    @Test
    void parserNeverThrowsAndAlwaysDecides() {
        Random random = new Random(12345);
        String[] seeds = {
            GET,
            "HEAD /a/b?c HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
            "GET http://h/x HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\n\r\n",
        };
        byte[] buf = new byte[64 * 1024];
        for (int round = 0; round < 20_000; round++) {
            byte[] input = seeds[random.nextInt(seeds.length)].getBytes(StandardCharsets.ISO_8859_1);
            ByteArrayOutputStream mutated = new ByteArrayOutputStream();
            for (byte b : input) {
                int dice = random.nextInt(40);
                if (dice == 0) continue;
                if (dice == 1) mutated.write(random.nextInt(256));
                mutated.write(dice == 2 ? random.nextInt(256) : b);
            }
            if (random.nextInt(4) == 0) for (int i = random.nextInt(40_000); i > 0; i--) mutated.write('x');
            byte[] data = mutated.toByteArray();
            int offset = random.nextInt(100);
            System.arraycopy(data, 0, buf, offset, Math.min(data.length, buf.length - offset));
            int total = Math.min(data.length, buf.length - offset);
            HttpRequestParser parser = new HttpRequestParser();
            HttpRequestParser.Outcome outcome = HttpRequestParser.Outcome.NEED_MORE;
            // Feed in random slices, as reads would deliver them.
            for (int fed = 0; fed < total && outcome == HttpRequestParser.Outcome.NEED_MORE; ) {
                fed = Math.min(total, fed + 1 + random.nextInt(64));
                outcome = parser.parse(buf, offset, offset + fed);
            }
            if (outcome == HttpRequestParser.Outcome.COMPLETE) {
                assertTrue(parser.consumed() > 0 && parser.consumed() <= total);
                assertTrue(parser.pathStart() <= parser.pathEnd());
                assertNotNull(parser.method());
            } else if (outcome == HttpRequestParser.Outcome.ERROR) {
                assertTrue(Set.of(400, 405, 413, 414, 431, 501, 505).contains(parser.errorStatus()));
            } else {
                assertTrue(total <= parser.decidingBufferSize(), "undecided after " + total + " bytes");
            }
        }
    }

    @Test
    void parserIsCaseInsensitiveForHeaderNames() {
        byte[] req = ("GET /x HTTP/1.1\r\nhOsT: a\r\nCONNECTION: foo, CLOSE\r\ncontent-LENGTH: 12\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        HttpRequestParser p = new HttpRequestParser();
        assertEquals(HttpRequestParser.Outcome.COMPLETE, p.parse(req, 0, req.length));
        assertFalse(p.keepAlive());
        assertEquals(12, p.contentLength());
        assertEquals(req.length, p.consumed());
        assertEquals("/x", new String(req, p.pathStart(), p.pathEnd() - p.pathStart(), StandardCharsets.US_ASCII));
    }
}

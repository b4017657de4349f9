package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code handoff serve --war}: a WAR built here as a user's build would make it, with a servlet declared in web.xml
 * that uses a library from WEB-INF/lib, a servlet found by its {@code @WebServlet} annotation, and static files
 * Jetty serves; under a context path.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarAppTest {
    @TempDir
    Path tmp;

    static final String WEB_XML = """
            <?xml version="1.0" encoding="UTF-8"?>
            <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="false">
              <servlet>
                <servlet-name>greet</servlet-name>
                <servlet-class>example.GreetServlet</servlet-class>
                <load-on-startup>1</load-on-startup>
              </servlet>
              <servlet-mapping>
                <servlet-name>greet</servlet-name>
                <url-pattern>/greet</url-pattern>
              </servlet-mapping>
            </web-app>
            """;

    Path war() throws Exception {
        Path libClasses = AppJars.compile(tmp, "lib", Map.of("example.lib.Greeting", """
                package example.lib;
                public final class Greeting {
                    public static String of(String who) { return "Hello, " + who + " (from WEB-INF/lib)"; }
                }
                """), List.of());
        Path libJar = AppJars.jar(libClasses, tmp.resolve("greeting.jar"));
        Path classes = AppJars.compile(tmp, "webapp", Map.of(
                "example.GreetServlet", """
                        package example;
                        import jakarta.servlet.http.*;
                        import java.io.IOException;
                        public class GreetServlet extends HttpServlet {
                            @Override protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                                    throws IOException {
                                resp.setContentType("text/plain");
                                resp.getWriter().print(example.lib.Greeting.of(req.getParameter("who")));
                            }
                        }
                        """,
                "example.AnnotatedServlet", """
                        package example;
                        import jakarta.servlet.annotation.WebServlet;
                        import jakarta.servlet.http.*;
                        import java.io.IOException;
                        @WebServlet("/annotated")
                        public class AnnotatedServlet extends HttpServlet {
                            @Override protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                                    throws IOException {
                                resp.setContentType("text/plain");
                                resp.getWriter().print("found by annotation at " + req.getContextPath()
                                        + req.getServletPath());
                            }
                        }
                        """), List.of(libJar));
        return AppJars.pack(tmp.resolve("shop.war"), Map.of("WEB-INF/classes/", classes), Map.of(
                "WEB-INF/web.xml", WEB_XML.getBytes(StandardCharsets.UTF_8),
                "WEB-INF/lib/greeting.jar", java.nio.file.Files.readAllBytes(libJar),
                "index.html", "<h1>the shop</h1>\n".getBytes(StandardCharsets.UTF_8),
                "static/notes.txt", "static, served by Jetty\n".getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fork", "virtual"})
    void servesAWarUnderItsContextPath(String model) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--model", model, "--war", war().toString(),
                "--context-path", "/shop", "--bind", "127.0.0.1:0"));
        if (model.equals("fork")) args.addAll(List.of("--workers", "1"));
        try (ServerProcess s = ServerProcess.serve(args.toArray(String[]::new));
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String base = "http://" + s.addresses().get(0);
            try {
                assertEquals("Hello, ada (from WEB-INF/lib)", get(http, base + "/shop/greet?who=ada", 200));
                assertEquals("found by annotation at /shop/annotated", get(http, base + "/shop/annotated", 200));
                assertEquals("static, served by Jetty\n", get(http, base + "/shop/static/notes.txt", 200));
                assertEquals("<h1>the shop</h1>\n", get(http, base + "/shop/", 200));
                get(http, base + "/elsewhere", 404);
                // Jetty unpacked the WAR into a temporary directory of its own; a graceful stop removes it.
                assertTrue(!unpacked().isEmpty(), "no unpacked WAR under " + TEMP);
                s.signal("TERM");
                assertEquals(0, s.awaitExit(Duration.ofSeconds(30)), s.log());
                assertEquals(List.of(), unpacked(), "left behind after a graceful stop");
            } finally {
                System.out.println("---- server log ----\n" + s.log());
            }
        }
    }

    @Test
    void aMissingWarIsOneLine() throws Exception {
        ServerProcess.Result r = ServerProcess.run(Duration.ofSeconds(30), "serve", "--war",
                tmp.resolve("nothing.war").toString(), "--bind", "127.0.0.1:0");
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.lines().size(), r.output());
        assertTrue(r.output().contains("--war"), r.output());
    }

    private static final Path TEMP = Path.of(System.getProperty("java.io.tmpdir"));

    /** Jetty's unpacked copies of this test's WAR (it names them after the WAR and the context path). */
    private List<Path> unpacked() throws java.io.IOException {
        try (var dirs = java.nio.file.Files.list(TEMP)) {
            return dirs.filter(p -> p.getFileName().toString().startsWith("jetty-")
                    && p.getFileName().toString().contains("shop_war-_shop")).toList();
        }
    }

    static String get(HttpClient http, String url, int status) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), url + ": " + r.body());
        return r.body();
    }
}

package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An application no one here wrote, from the registry as a user would take it: the H2 database's web console
 * ({@code org.h2.server.web.JakartaWebServlet} in h2.jar, copied by the build), in fork workers. It keeps sessions,
 * posts forms, runs SQL, and lets in local clients only (it reads {@code getRemoteAddr()}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistryAppTest {
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    private static final Pattern SESSION = Pattern.compile("jsessionid=([0-9a-f]+)");

    @Test
    void theH2ConsoleRunsAQueryInAForkWorker() throws Exception {
        Path h2 = Path.of(System.getProperty("handoff.registry.apps", "target/registry-apps"), "h2.jar");
        Assumptions.assumeTrue(Files.isRegularFile(h2), "h2.jar was not copied by the build: " + h2);
        // The console creates no database for a remote client (as a browser is to it): it opens one made here.
        Path db = tmp.resolve("db");
        try (java.net.URLClassLoader h2Loader = new java.net.URLClassLoader(new java.net.URL[] {h2.toUri().toURL()})) {
            java.sql.Driver driver = (java.sql.Driver) Class.forName("org.h2.Driver", true, h2Loader)
                    .getConstructor().newInstance();
            java.util.Properties user = new java.util.Properties();
            user.setProperty("user", "sa");
            user.setProperty("password", "");
            try (java.sql.Connection c = driver.connect("jdbc:h2:" + db, user);
                    java.sql.Statement st = c.createStatement()) {
                st.execute("CREATE TABLE greeting(text VARCHAR(40))");
                st.execute("INSERT INTO greeting VALUES ('served-by-handoff')");
            }
        }
        try (ServerProcess s = ServerProcess.serve("--model", "fork", "--workers", "1",
                "--handler", "org.h2.server.web.JakartaWebServlet", "--handler-classpath", h2.toString(),
                "--bind", "127.0.0.1:0");
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String base = "http://" + s.addresses().get(0);
            try {
                HttpResponse<String> start = send(http, HttpRequest.newBuilder(URI.create(base + "/")));
                assertEquals(200, start.statusCode(), start.body());
                assertTrue(start.body().contains("<title>H2 Console</title>"), start.body());
                Matcher m = SESSION.matcher(start.body());
                assertTrue(m.find(), start.body());
                String session = m.group(1);
                HttpResponse<String> login = send(http, HttpRequest.newBuilder(URI.create(base + "/login.do?jsessionid="
                        + session)).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "driver=org.h2.Driver&url=" + URLEncoder.encode("jdbc:h2:" + db, StandardCharsets.UTF_8)
                                        + "&user=sa&password=")));
                assertEquals(200, login.statusCode(), login.body());
                String sql = URLEncoder.encode("SELECT text FROM greeting", StandardCharsets.UTF_8);
                HttpResponse<String> query = send(http, HttpRequest.newBuilder(URI.create(base + "/query.do?jsessionid="
                        + session)).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("sql=" + sql)));
                assertEquals(200, query.statusCode(), query.body());
                assertTrue(query.body().contains(">served-by-handoff<"), query.body());
            } finally {
                System.out.println("---- server log ----\n" + s.log());
            }
        }
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

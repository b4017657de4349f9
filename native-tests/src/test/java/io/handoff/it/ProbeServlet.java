package io.handoff.it;

/** The servlet the app tests serve: one path per behaviour under test. */
final class ProbeServlet {
    static final String CLASS_NAME = "example.Probe";

    /** {@code tag} ends every /hello answer, to tell one build from another (a deploy). */
    static String source(String tag) {
        return """
            package example;

            import jakarta.servlet.AsyncContext;
            import jakarta.servlet.ServletConfig;
            import jakarta.servlet.http.HttpServlet;
            import jakarta.servlet.http.HttpServletRequest;
            import jakarta.servlet.http.HttpServletResponse;
            import java.io.IOException;
            import java.io.PrintWriter;

            public class Probe extends HttpServlet {
                private volatile boolean initialised;

                @Override
                public void init(ServletConfig config) throws jakarta.servlet.ServletException {
                    super.init(config);
                    // Slow on purpose: a worker must not be given connections before this is done.
                    try { Thread.sleep(700); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                    initialised = true;
                }

                @Override
                protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                    resp.setContentType("text/plain");
                    switch (req.getRequestURI()) {
                        case "/" -> resp.getWriter().print("hello\\n"); // what HttpLoad expects
                        case "/hello" -> resp.getWriter().print("hello initialised=" + initialised + " pid="
                                + ProcessHandle.current().pid() + "TAG\\n");
                        case "/remote" -> resp.getWriter().print(req.getRemoteAddr() + ":" + req.getRemotePort());
                        case "/stream" -> {
                            int n = Integer.parseInt(req.getParameter("n"));
                            PrintWriter w = resp.getWriter();
                            for (int i = 0; i < n; i++) {
                                w.print("line " + i + "\\n");
                                if (i % 100 == 0) w.flush(); // committed early: chunked, in pieces
                            }
                        }
                        case "/async" -> {
                            AsyncContext async = req.startAsync();
                            Thread.ofVirtual().start(() -> {
                                try {
                                    Thread.sleep(50);
                                    async.getResponse().getWriter().print("async done");
                                } catch (Exception e) {
                                    throw new RuntimeException(e);
                                } finally {
                                    async.complete();
                                }
                            });
                        }
                        case "/throw" -> throw new IllegalStateException("thrown on purpose");
                        case "/exit" -> System.exit(7);
                        case "/sleep" -> {
                            try { Thread.sleep(Long.parseLong(req.getParameter("ms"))); }
                            catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                            resp.getWriter().print("slept");
                        }
                        default -> resp.sendError(404);
                    }
                }

                @Override
                protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                    byte[] body = req.getInputStream().readAllBytes();
                    resp.setContentType("application/octet-stream");
                    resp.setHeader("X-Length", Integer.toString(body.length));
                    resp.getOutputStream().write(body);
                }
            }
            """.replace("TAG", tag);
    }

    private ProbeServlet() {}

    static java.nio.file.Path jar(java.nio.file.Path dir, String tag, String jarName) throws java.io.IOException {
        java.nio.file.Path classes = AppJars.compile(dir, jarName, java.util.Map.of(CLASS_NAME, source(tag)),
                java.util.List.of());
        return AppJars.jar(classes, dir.resolve(jarName));
    }
}

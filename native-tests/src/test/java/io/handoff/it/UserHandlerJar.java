package io.handoff.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Compiles a handler class that is on no classpath and packs it into a jar, the way a user would ship one. The
 * default handler reverses one line and adds the pid of the process that served it; {@link #SLOW_WORKER} makes
 * worker 1 slow.
 */
final class UserHandlerJar {
    static final String CLASS_NAME = "example.ReverseLine";

    private static final String SOURCE = """
            package example;

            import java.io.BufferedReader;
            import java.io.InputStreamReader;
            import java.nio.charset.StandardCharsets;
            import io.handoff.handler.Connection;
            import io.handoff.handler.Handler;

            public class ReverseLine implements Handler {
                @Override
                public void handle(Connection c) throws Exception {
                    var in = new BufferedReader(new InputStreamReader(c.input(), StandardCharsets.US_ASCII));
                    String line = in.readLine();
                    String reply = new StringBuilder(line).reverse() + " pid=" + ProcessHandle.current().pid() + "\\n";
                    c.output().write(reply.getBytes(StandardCharsets.US_ASCII));
                }
            }
            """;

    /**
     * Answers "served by worker-N" and closes. In worker 1 (the worker's id is in the {@code handoff.process}
     * property) it is slow: it serves one connection at a time and each takes 200 ms, as a worker would whose only
     * core is taken by something else; connections given to it wait their turn. With
     * {@code -Dslow.worker.serial=false} (HANDOFF_WORKER_OPTS) the 200 ms run in parallel instead: added latency,
     * no queue.
     */
    static final String SLOW_WORKER = "example.SlowWorkerOne";

    private static final String SLOW_WORKER_SOURCE = """
            package example;

            import java.nio.charset.StandardCharsets;
            import java.util.concurrent.locks.ReentrantLock;
            import io.handoff.handler.Connection;
            import io.handoff.handler.Handler;

            public class SlowWorkerOne implements Handler {
                private static final String PROCESS = System.getProperty("handoff.process", "supervisor");
                private static final boolean SLOW = PROCESS.equals("worker-1");
                private static final boolean SERIAL = !"false".equals(System.getProperty("slow.worker.serial"));
                private final ReentrantLock oneAtATime = new ReentrantLock();

                @Override
                public void handle(Connection c) throws Exception {
                    if (SLOW && SERIAL) {
                        oneAtATime.lock();
                        try {
                            Thread.sleep(200);
                        } finally {
                            oneAtATime.unlock();
                        }
                    } else if (SLOW) {
                        Thread.sleep(200);
                    }
                    c.output().write(("served by " + PROCESS + "\\n").getBytes(StandardCharsets.US_ASCII));
                }
            }
            """;

    /**
     * Misbehaves on request, by the first line the client sends: {@code throw} throws, {@code block} answers
     * "blocking" and then never returns (it ignores interrupts), {@code leave} answers and returns without closing;
     * any other line is echoed with the pid that served it.
     */
    static final String MISBEHAVING = "example.Misbehaving";

    private static final String MISBEHAVING_SOURCE = """
            package example;

            import java.io.BufferedReader;
            import java.io.InputStreamReader;
            import java.nio.charset.StandardCharsets;
            import io.handoff.handler.Connection;
            import io.handoff.handler.Handler;

            public class Misbehaving implements Handler {
                @Override
                public void handle(Connection c) throws Exception {
                    var in = new BufferedReader(new InputStreamReader(c.input(), StandardCharsets.US_ASCII));
                    String line = in.readLine();
                    if (line == null) return;
                    switch (line) {
                        case "throw" -> throw new IllegalStateException("misbehaving on purpose");
                        case "block" -> {
                            c.output().write("blocking\\n".getBytes(StandardCharsets.US_ASCII));
                            while (true) {
                                try {
                                    Thread.sleep(60_000);
                                } catch (InterruptedException ignored) {
                                    // carries on regardless
                                }
                            }
                        }
                        case "leave" -> c.output().write("left open\\n".getBytes(StandardCharsets.US_ASCII));
                        default -> c.output().write((line + " pid=" + ProcessHandle.current().pid() + "\\n")
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                }
            }
            """;

    private UserHandlerJar() {}

    /**
     * A handler whose static initialiser does {@code staticInit} (never returns, exits, throws): user code that must
     * take only the worker that loads it, never the fork supervisor.
     */
    static Path badStaticInit(Path dir, String simpleName, String staticInit) throws IOException {
        String source = """
                package example;

                import io.handoff.handler.Connection;
                import io.handoff.handler.Handler;

                public class %s implements Handler {
                    static {
                        %s
                    }

                    @Override
                    public void handle(Connection c) throws Exception {
                        c.output().write("should never run\\n".getBytes());
                    }
                }
                """.formatted(simpleName, staticInit);
        return compile(dir, "example." + simpleName, source, simpleName + ".jar");
    }

    /** The {@link #MISBEHAVING} handler. */
    static Path misbehaving(Path dir) throws IOException {
        return compile(dir, MISBEHAVING, MISBEHAVING_SOURCE, "misbehaving-handler.jar");
    }

    static Path build(Path dir) throws IOException { return build(dir, "", "reverse-handler.jar"); }

    /** A variant whose replies end with {@code tag} (to tell one build of the handler from another). */
    static Path build(Path dir, String tag, String jarName) throws IOException {
        return compile(dir, "example.ReverseLine", SOURCE.replace("\"\\n\";", "\"" + tag + "\\n\";"), jarName);
    }

    /** The {@link #SLOW_WORKER} handler. */
    static Path slowWorker(Path dir) throws IOException {
        return compile(dir, SLOW_WORKER, SLOW_WORKER_SOURCE, "slow-worker-handler.jar");
    }

    static Path compile(Path dir, String className, String source, String jarName) throws IOException {
        String classFile = className.replace('.', '/');
        Path work = dir.resolve("build-" + jarName);
        Path src = work.resolve("src/" + classFile + ".java");
        Path classes = work.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp",
                System.getProperty("java.class.path"), src.toString());
        if (rc != 0) throw new IOException("javac failed: " + rc);
        Path jar = dir.resolve(jarName);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String entry : List.of(classFile + ".class")) {
                out.putNextEntry(new JarEntry(entry));
                Files.copy(classes.resolve(entry), out);
                out.closeEntry();
            }
        }
        return jar;
    }
}

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
 * handler reverses one line and adds the pid of the process that served it.
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

    private UserHandlerJar() {}

    static Path build(Path dir) throws IOException { return build(dir, "", "reverse-handler.jar"); }

    /** A variant whose replies end with {@code tag} (to tell one build of the handler from another). */
    static Path build(Path dir, String tag, String jarName) throws IOException {
        Path work = dir.resolve("build-" + jarName);
        Path src = work.resolve("src/example/ReverseLine.java");
        Path classes = work.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, SOURCE.replace("\"\\n\";", "\"" + tag + "\\n\";"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp",
                System.getProperty("java.class.path"), src.toString());
        if (rc != 0) throw new IOException("javac failed: " + rc);
        Path jar = dir.resolve(jarName);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String entry : List.of("example/ReverseLine.class")) {
                out.putNextEntry(new JarEntry(entry));
                Files.copy(classes.resolve(entry), out);
                out.closeEntry();
            }
        }
        return jar;
    }
}

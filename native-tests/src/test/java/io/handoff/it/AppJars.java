package io.handoff.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds applications at test time as their authors would: compiled against the servlet API or Netty from the apps
 * directory (provided scope: the jar ships only its own classes), packed into a jar or a WAR.
 */
final class AppJars {
    private AppJars() {}

    /** The apps directory the servers under test use (handoff.apps, set by the build). */
    static Path appsDir() {
        String dir = System.getProperty("handoff.apps");
        if (dir == null) throw new IllegalStateException("handoff.apps is not set (the native-tests pom sets it)");
        return Path.of(dir);
    }

    /** Compiles {@code sources} (class name → source) against the apps jars and {@code extraClasspath}. */
    static Path compile(Path dir, String name, Map<String, String> sources, List<Path> extraClasspath)
            throws IOException {
        Path work = dir.resolve("build-" + name);
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        // The release users build for (21): Jetty's annotation scanning reads class files with an ASM that may
        // not know the newest JDK's format yet.
        List<String> args = new ArrayList<>(List.of("--release", "21", "-d", classes.toString(), "-cp",
                classpath(extraClasspath)));
        for (var e : sources.entrySet()) {
            Path src = work.resolve("src/" + e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(src.getParent());
            Files.writeString(src, e.getValue());
            args.add(src.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, args.toArray(String[]::new));
        if (rc != 0) throw new IOException("javac failed: " + rc);
        return classes;
    }

    /** A jar of everything under {@code classes}, entries under {@code prefix} ("" or "WEB-INF/classes/"). */
    static Path jar(Path classes, Path jar) throws IOException {
        return pack(jar, Map.of("", classes), Map.of());
    }

    /** A zip (jar or WAR): the trees under {@code trees} (entry prefix → directory) and single files. */
    static Path pack(Path out, Map<String, Path> trees, Map<String, byte[]> files) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out))) {
            for (var t : trees.entrySet()) {
                List<Path> all;
                try (Stream<Path> walk = Files.walk(t.getValue())) {
                    all = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path p : all) {
                    jar.putNextEntry(new JarEntry(t.getKey() + t.getValue().relativize(p).toString().replace('\\', '/')));
                    Files.copy(p, jar);
                    jar.closeEntry();
                }
            }
            for (var f : files.entrySet()) {
                jar.putNextEntry(new JarEntry(f.getKey()));
                jar.write(f.getValue());
                jar.closeEntry();
            }
        }
        return out;
    }

    private static String classpath(List<Path> extra) throws IOException {
        List<String> cp = new ArrayList<>();
        try (Stream<Path> jars = Files.list(appsDir())) {
            jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> cp.add(p.toString()));
        }
        extra.forEach(p -> cp.add(p.toString()));
        return String.join(java.io.File.pathSeparator, cp);
    }
}

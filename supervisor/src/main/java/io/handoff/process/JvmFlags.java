package io.handoff.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags of handoff's own processes, read from {@code jvm-flags/NAME.txt} on the classpath. scripts/handoff
 * reads the same files, so the launcher and the code that starts supervisors and workers cannot drift apart. In a
 * file, whitespace separates arguments, {@code #} starts a comment, and a line {@code N+ FLAGS} applies from JDK N on.
 */
final class JvmFlags {
    private JvmFlags() {}

    /** The flags in {@code jvm-flags/NAME.txt} that apply to this JVM's release. */
    static List<String> of(String name) {
        String resource = "/jvm-flags/" + name + ".txt";
        try (InputStream in = JvmFlags.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), Runtime.version().feature());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    static List<String> parse(String text, int feature) {
        List<String> flags = new ArrayList<>();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            String[] words = (hash < 0 ? line : line.substring(0, hash)).trim().split("\\s+");
            int from = 0;
            if (words[0].matches("\\d+\\+")) {
                if (feature < Integer.parseInt(words[0].substring(0, words[0].length() - 1))) continue;
                from = 1;
            }
            for (int i = from; i < words.length; i++) if (!words[i].isEmpty()) flags.add(words[i]);
        }
        return List.copyOf(flags);
    }
}

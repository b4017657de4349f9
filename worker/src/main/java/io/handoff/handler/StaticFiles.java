package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps request paths to files under one root directory, and refuses everything else. The checks are layered on
 * purpose: decoded ".." segments are refused outright, and whatever survives is resolved with every symlink followed
 * and must still lie under the root's real path.
 */
final class StaticFiles {
    private static final String INDEX = "index.html";

    /** The answer for a path: a file to send, the built-in hello (file null, status 200), or an error status. */
    record Lookup(int status, Path file, byte[] contentType) {
        static final Lookup HELLO = new Lookup(200, null, null);

        static Lookup error(int status) { return new Lookup(status, null, null); }
    }

    private final Path root;

    StaticFiles(Path root) throws IOException {
        this.root = root.toRealPath();
        if (!Files.isDirectory(this.root)) throw new NotDirectoryException(root.toString());
    }

    Path root() { return root; }

    /** {@code /}: index.html when there is one, else hello. */
    Lookup index() {
        Lookup found = file(root.resolve(INDEX), INDEX);
        return found.status() == 200 ? found : Lookup.HELLO;
    }

    /** The raw (still percent-encoded) path {@code b[start, end)}, which starts with '/'. */
    Lookup find(byte[] b, int start, int end) {
        byte[] decoded = new byte[end - start];
        int n = 0;
        for (int i = start; i < end; i++) {
            int c = b[i];
            if (c == '%') {
                int hi = i + 2 < end ? hex(b[i + 1]) : -1;
                int lo = i + 2 < end ? hex(b[i + 2]) : -1;
                if (hi < 0 || lo < 0) return Lookup.error(400);
                c = hi << 4 | lo;
                i += 2;
            }
            // NUL would truncate the name in the C library below us.
            if (c == 0) return Lookup.error(400);
            decoded[n++] = (byte) c;
        }
        String path;
        try {
            path = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(decoded, 0, n))
                    .toString();
        } catch (CharacterCodingException e) {
            return Lookup.error(400);
        }
        // Split after decoding, so %2F and %2e%2e are seen for what they are.
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) continue;
            // Backslash is a separator on some file systems; never let it smuggle a ".." through.
            if (segment.equals("..") || segment.indexOf('\\') >= 0) return Lookup.error(403);
            segments.add(segment);
        }
        if (segments.isEmpty()) return index();
        Path candidate;
        try {
            candidate = root.resolve(String.join("/", segments));
        } catch (InvalidPathException e) {
            return Lookup.error(400);
        }
        return file(candidate, segments.get(segments.size() - 1));
    }

    private Lookup file(Path candidate, String name) {
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            return Lookup.error(404);
        } catch (AccessDeniedException e) {
            return Lookup.error(403);
        } catch (IOException | SecurityException e) {
            // ENOTDIR (a file used as a directory), ELOOP and the like: nothing to serve there.
            return Lookup.error(404);
        }
        if (!real.startsWith(root)) return Lookup.error(403);
        // Directories, FIFOs (whose open would block) and devices are not served.
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) return Lookup.error(403);
        return new Lookup(200, real, HttpResponses.contentTypeFor(name));
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}

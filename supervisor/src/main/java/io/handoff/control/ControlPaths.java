package io.handoff.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.handoff.unix.Sockets;

/**
 * Where control sockets live by default: {@code $XDG_RUNTIME_DIR/handoff/} or {@code /tmp/handoff-<uid>/}, a
 * directory only its owner can enter, one socket per instance named after the instance's first listener.
 */
public final class ControlPaths {
    private ControlPaths() {}

    public static Path runtimeDir() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg))) return Path.of(xdg, "handoff");
        return Path.of(System.getProperty("java.io.tmpdir"), "handoff-" + Sockets.geteuid());
    }

    /** "127.0.0.1:8000" → runtime/127.0.0.1_8000.sock; "unix:/run/x.sock" → runtime/unix_run_x.sock.sock */
    public static Path forInstance(String firstListener) {
        String name = firstListener.replaceAll("[^A-Za-z0-9.-]+", "_").replaceAll("^_+|_+$", "");
        return runtimeDir().resolve(name + ".sock");
    }

    /**
     * The control sockets in the runtime directory that a supervisor still listens on. Files left by supervisors
     * that were killed are deleted on the way (a refused connect proves nobody listens).
     */
    public static java.util.List<Path> liveSockets() {
        java.util.List<Path> live = new java.util.ArrayList<>();
        try (var s = Files.list(runtimeDir())) {
            for (Path p : s.filter(x -> x.toString().endsWith(".sock")).sorted().toList()) {
                try (var probe = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(p))) {
                    live.add(p);
                } catch (IOException refused) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // not ours to delete after all
                    }
                }
            }
        } catch (IOException e) {
            return live;
        }
        return live;
    }

    /** Creates {@code dir} with mode 0700 if missing; refuses one that others can enter. */
    public static void ensurePrivateDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // someone made it between our check and create: verified below
            }
        }
        var perms = Files.getPosixFilePermissions(dir);
        var owner = Files.getOwner(dir).getName();
        if (perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                || perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + " is writable by others (" + PosixFilePermissions.toString(perms) + ", owner "
                    + owner + "); use a private directory for --control");
        }
    }
}

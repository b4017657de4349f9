package io.handoff.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The pidfile: written atomically (a temp file in the same directory, renamed over), refused when it names a live
 * handoff process, replaced when stale, removed at exit only if it still names us.
 */
public final class Pidfile {
    private Pidfile() {}

    /** Throws with a clear message when {@code path} names a running handoff; a stale file is left to be replaced. */
    public static void checkNotRunning(Path path) throws IOException {
        Long pid = read(path);
        if (pid == null || pid == ProcessHandle.current().pid()) return;
        if (isHandoff(pid)) {
            throw new IOException("pidfile " + path + " names a running handoff (pid " + pid
                    + "); stop it first, or use another --pidfile");
        }
    }

    static Long read(Path path) {
        try {
            String text = Files.readString(path, StandardCharsets.US_ASCII).trim();
            return text.isEmpty() ? null : Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** True when {@code pid} is alive and runs the handoff CLI (not just any process that reused the pid). */
    static boolean isHandoff(long pid) {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains("io.handoff.cli.Main");
        } catch (IOException e) {
            return false;
        }
    }

    public static void write(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, ".handoff-pid", ".tmp");
        try {
            Files.writeString(tmp, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** What {@link #removeIfOurs} found. */
    enum Removal { REMOVED, GONE, NOT_OURS }

    /**
     * Removes the pidfile if it still names this process. GONE when there was no file to remove (someone deleted it,
     * or its directory), NOT_OURS when it names another process (left in place).
     */
    static Removal removeIfOurs(Path path) {
        if (!Files.exists(path)) return Removal.GONE;
        Long pid = read(path);
        if (pid == null || pid != ProcessHandle.current().pid()) return Removal.NOT_OURS;
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // nothing to do at exit
        }
        return Removal.REMOVED;
    }
}

package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.handoff.protocol.Codec;
import io.handoff.protocol.Message.Ready;

/**
 * Who may talk to the supervisor's private sockets. The control socket's own checks are in ControlSocketTest; here:
 * the worker rendezvous socket, what an impostor of our own uid can do with it, what a worker can reach, and the
 * file modes both sockets are born with.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SecurityTest extends OneServerTest {
    private static final String PYTHON = "/usr/bin/python3";

    private Path control() { return tmp.resolve("run").resolve("ctl.sock"); }

    private ServerProcess start() throws Exception {
        server = ServerProcess.serve("--workers", "2", "--handler", "hello", "--bind", "127.0.0.1:0",
                "--control", control().toString());
        return server;
    }

    /** The rendezvous socket, as the supervisor told its workers on their command line. */
    private static Path linkPath(long workerPid) throws IOException {
        String[] args = Files.readString(Path.of("/proc", Long.toString(workerPid), "cmdline")).split("\0");
        for (int i = 0; i < args.length - 1; i++) if (args[i].equals("--link")) return Path.of(args[i + 1]);
        throw new AssertionError("no --link in " + String.join(" ", args));
    }

    /**
     * With umask 000 and a --control directory others may enter, both sockets still come out 0600: they are created
     * with that mode (set on the socket before bind), not narrowed by a chmod after it.
     */
    @Test
    void bothSocketsAreBornPrivateWhateverTheUmask() throws Exception {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path ctl = open.resolve("ctl.sock");
        Process watcher = watchFileEvents(open);
        List<String> cmd = ServerProcess.javaCommand();
        cmd.addAll(List.of("serve", "--workers", "1", "--handler", "hello", "--bind", "127.0.0.1:0", "--control",
                ctl.toString()));
        StringBuilder line = new StringBuilder("umask 000 && exec");
        for (String c : cmd) line.append(" '").append(c).append('\'');
        server = ServerProcess.adopt(new ProcessBuilder("bash", "-c", line.toString()).redirectErrorStream(true)
                .start(), 1);
        Path link = linkPath(server.workerPids().get(0));
        assertEquals("rw-------", mode(ctl));
        assertEquals("rw-------", mode(link));
        assertEquals("rwx------", mode(link.getParent()));
        // Born 0600: the file was created, and its attributes never changed after (no chmod narrowed it later).
        watcher.getOutputStream().close();
        assertTrue(watcher.waitFor(30, TimeUnit.SECONDS));
        String events = new String(watcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(events.contains("ctl.sock CREATE"), events);
        assertTrue(!events.contains("ctl.sock ATTRIB"), events);
        // The umask did reach the process (with it, a socket bound the plain way would be rwxrwxrwx).
        assertTrue(Files.readAllLines(Path.of("/proc", Long.toString(server.pid()), "status")).contains("Umask:\t0000"));
        assertEquals(true, Control.send(ctl, "status").get("ok"));
    }

    /**
     * The rendezvous socket admits only the workers this supervisor spawned, once each: not another uid (even with
     * the directory and file opened up), not a real worker JVM of our uid that it did not spawn, not a process that
     * claims a spawned worker's pid. And a worker's own link has no address at all, so no worker (nor anything else)
     * can reach another's.
     */
    @Test
    void theRendezvousSocketAdmitsOnlySpawnedWorkersAndLinksHaveNoAddress() throws Exception {
        start();
        List<Long> workers = server.workerPids();
        Path link = linkPath(workers.get(0));

        if ("root".equals(System.getProperty("user.name"))) { // only root can become nobody here
            assertTrue(asNobody(link).contains("PermissionError"), "nobody reached the private directory");
            Files.setPosixFilePermissions(link.getParent(), PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(link, PosixFilePermissions.fromString("rw-rw-rw-"));
            try {
                String answer = asNobody(link);
                assertTrue(answer.contains("closed"), answer);
                server.awaitLog(l -> l.contains("worker link refused") && l.contains("uid=65534"),
                        Duration.ofSeconds(10));
            } finally {
                Files.setPosixFilePermissions(link.getParent(), PosixFilePermissions.fromString("rwx------"));
                Files.setPosixFilePermissions(link, PosixFilePermissions.fromString("rw-------"));
            }
        }

        List<String> cmd = ServerProcess.javaCommand();
        cmd.set(cmd.size() - 1, "io.handoff.worker.WorkerMain");
        cmd.addAll(List.of("--link", link.toString(), "--handler", "hello"));
        Process impostor = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            assertTrue(impostor.waitFor(60, TimeUnit.SECONDS), "the impostor was not turned away");
            server.awaitLog(l -> l.contains("worker link refused: peer pid=" + impostor.pid() + " "),
                    Duration.ofSeconds(10));
        } finally {
            impostor.destroyForcibly();
        }

        // This test's own JVM, claiming the pid of a worker that is waiting for nothing (it already has its link).
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(link));
            ByteBuffer frame = ByteBuffer.allocate(Codec.MAX_FRAME);
            Codec.encode(new Ready(workers.get(1).intValue()), frame);
            frame.flip();
            try {
                while (frame.hasRemaining()) ch.write(frame);
                assertEquals(-1, ch.read(ByteBuffer.allocate(16)), "the supervisor answered an impostor");
            } catch (IOException closedOnUs) {
                // turned away before (or while) it spoke: broken pipe or reset
            }
        }
        server.awaitLog(l -> l.contains("worker link refused: peer pid=" + ProcessHandle.current().pid() + " "),
                Duration.ofSeconds(10));

        Set<Long> named = inodes(true);
        Set<Long> unix = inodes(false);
        for (long w : workers) {
            Set<Long> held = Procs.socketInodes(w);
            held.retainAll(unix);
            assertTrue(!held.isEmpty(), "worker " + w + " holds no Unix socket: where is its link?");
            for (long inode : held) assertTrue(!named.contains(inode), "worker " + w + " holds a named socket");
        }
        assertEquals(workers, server.workerPids());
        for (int i = 0; i < 10; i++) assertEquals("Hello 127.0.0.1\n", Clients.readAll(server.addresses().get(0)));
    }

    /**
     * inotify on {@code dir} (python3 and libc through ctypes): prints "NAME CREATE" / "NAME ATTRIB" per event, starts
     * printing once the watch is in place (this returns then), and stops when its stdin closes.
     */
    private static Process watchFileEvents(Path dir) throws Exception {
        String py = "import ctypes,os,struct,sys,select\n"
                + "libc=ctypes.CDLL(None,use_errno=True)\n"
                + "fd=libc.inotify_init1(0)\n"
                + "assert libc.inotify_add_watch(fd,sys.argv[1].encode(),0x100|0x4)>=0\n"
                + "print('watching',flush=True)\n"
                + "while True:\n"
                + " r,_,_=select.select([fd,sys.stdin],[],[])\n"
                + " if fd in r:\n"
                + "  b=os.read(fd,65536);i=0\n"
                + "  while i<len(b):\n"
                + "   wd,mask,cookie,n=struct.unpack_from('iIII',b,i);name=b[i+16:i+16+n].rstrip(b'\\0').decode()\n"
                + "   i+=16+n\n"
                + "   if mask&0x100: print(name,'CREATE',flush=True)\n"
                + "   if mask&0x4: print(name,'ATTRIB',flush=True)\n"
                + " if sys.stdin in r and not sys.stdin.read(1): break\n";
        Process p = new ProcessBuilder(PYTHON, "-c", py, dir.toString()).redirectErrorStream(true).start();
        byte[] first = p.getInputStream().readNBytes("watching\n".length());
        assertEquals("watching\n", new String(first, StandardCharsets.UTF_8), "inotify watcher did not start");
        return p;
    }

    /** Connects as user nobody, says it is a worker, and reports what came back. */
    private String asNobody(Path socket) throws Exception {
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX)\n"
                + "try:\n s.connect(sys.argv[1]); s.settimeout(10)\n"
                + " try: s.sendall(b'\\x00'*16)\n"
                + " except (BrokenPipeError, ConnectionResetError): pass\n"
                + " print('closed' if s.recv(64)==b'' else 'answered')\n"
                + "except ConnectionResetError: print('closed')\n"
                + "except Exception as e: print(type(e).__name__, e)\n";
        Process p = new ProcessBuilder("runuser", "-u", "nobody", "--", PYTHON, "-c", py, socket.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * Inodes of the Unix sockets in this network namespace; with {@code namedOnly}, of those that have a path (a
     * listener, or a connection accepted from one).
     */
    private static Set<Long> inodes(boolean namedOnly) throws IOException {
        Set<Long> out = new HashSet<>();
        List<String> rows = Files.readAllLines(Path.of("/proc/net/unix"));
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.trim().split("\\s+");
            if (f.length < 7) continue;
            if (!namedOnly || f.length >= 8) out.add(Long.parseLong(f[6]));
        }
        return out;
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}

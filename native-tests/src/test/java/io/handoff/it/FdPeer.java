package io.handoff.it;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.handoff.unix.Fd;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * The other JVM in the fd-passing tests. Connects to {@code args[0]} and then, by {@code args[1]}:
 * <ul>
 *   <li>{@code serve N}: receives until it holds N fds, adopts each as a TCP socket and writes "#i\n" to the i-th;
 *   <li>{@code ctrunc}: receives with room for one fd only, expecting MSG_CTRUNC;
 *   <li>{@code exit}: exits at once (the sender then sees a dead peer).
 * </ul>
 * Prints "fds-before K" / "fds-after K" (its own open fd count) and a result line, then exits.
 */
public final class FdPeer {
    public static void main(String[] args) throws Exception {
        Sockets.ensureAvailable();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(args[0]));
        String mode = args[1];
        if (mode.equals("exit")) {
            System.out.println("bye");
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }
        UnixLink link = mode.equals("ctrunc")
                ? UnixLink.withControlCapacity(Sockets.detach(ch), 1) : UnixLink.of(Sockets.detach(ch));
        int before = fdCount();
        System.out.println("fds-before " + before);
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        List<Fd> fds = new ArrayList<>();
        long bytes = 0;
        if (mode.equals("ctrunc")) {
            try {
                link.receive(buf, fds);
                System.out.println("result no-ctrunc fds=" + fds.size());
            } catch (UnixLink.TruncatedControlException e) {
                System.out.println("result ctrunc bytes=" + e.bytes() + " kept=" + fds.size());
            }
        } else {
            int want = Integer.parseInt(args[2]);
            while (fds.size() < want) {
                buf.clear();
                int n = link.receive(buf, fds);
                if (n == 0) break;
                bytes += n;
            }
            for (int i = 0; i < fds.size(); i++) {
                try (SocketChannel client = Sockets.adopt(fds.get(i), StandardProtocolFamily.INET)) {
                    client.write(ByteBuffer.wrap(("#" + i + "\n").getBytes(StandardCharsets.US_ASCII)));
                }
            }
            System.out.println("result served=" + fds.size() + " bytes=" + bytes);
        }
        System.out.println("fds-after " + fdCount());
        link.close();
        System.out.flush();
    }

    private static int fdCount() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count() - 1; // the directory stream's own fd
        }
    }

}

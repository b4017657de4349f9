package io.handoff.worker;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.handoff.engine.VirtualThreadEngine;
import io.handoff.handler.Handlers;
import io.handoff.protocol.Message;
import io.handoff.protocol.Message.Accepted;
import io.handoff.protocol.Message.Family;
import io.handoff.protocol.Message.Handoff;
import io.handoff.protocol.Message.Heartbeat;
import io.handoff.protocol.Message.Ready;
import io.handoff.protocol.MessageLink;
import io.handoff.unix.Fd;
import io.handoff.unix.Sockets;
import io.handoff.unix.UnixLink;

/**
 * {@code WorkerMain --train}: walks the path a worker takes from start to serving its first connections (handler
 * loading, the native bindings, a link, an fd handed over and adopted, HTTP requests) in one process, so that a
 * JVM run with {@code -XX:AOTCacheOutput} records those classes and profiles. Workers started with the resulting
 * {@code -XX:AOTCache} skip most of that work: the launcher builds the cache once per build.
 */
final class Training {
    private Training() {}

    static void run() throws Exception {
        for (String name : Handlers.BUILT_IN) Handlers.load(name, null, null);
        Sockets.ensureAvailable();
        Path dir = Files.createTempDirectory("handoff-train");
        Path path = dir.resolve("link.sock");
        VirtualThreadEngine engine = new VirtualThreadEngine(Handlers.load("http", null, null));
        try (ServerSocketChannel rendezvous = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                ServerSocketChannel tcp = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            rendezvous.bind(UnixDomainSocketAddress.of(path));
            tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Sockets.setNoDelay(tcp);
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            c.connect(UnixDomainSocketAddress.of(path));
            try (MessageLink worker = new MessageLink(UnixLink.of(Sockets.detach(c)));
                    MessageLink supervisor = new MessageLink(UnixLink.of(Sockets.detach(rendezvous.accept())))) {
                worker.send(new Ready((int) ProcessHandle.current().pid()));
                List<Message> got = new ArrayList<>();
                supervisor.receive(got);
                Sockets.BatchAcceptor acceptor = new Sockets.BatchAcceptor();
                for (int round = 0; round < 200; round++) {
                    SocketChannel client = SocketChannel.open(tcp.getLocalAddress());
                    List<Fd> fds = new ArrayList<>(1);
                    List<byte[]> peers = new ArrayList<>(1);
                    acceptor.accept(tcp, fds, peers, 1); // blocking listener: waits for the one client
                    supervisor.trySend(new Handoff(round, List.of(Family.INET), peers, fds));
                    fds.get(0).close();
                    got.clear();
                    while (got.isEmpty()) worker.receive(got);
                    Handoff h = (Handoff) got.get(0);
                    engine.serve(Sockets.adopt(h.fds().get(0), h.families().get(0).jdk(), h.peers().get(0)));
                    worker.send(new Accepted(h.seq(), 1, engine.open()));
                    worker.send(new Heartbeat(engine.open(), engine.served()));
                    got.clear();
                    supervisor.receive(got);
                    exchange(client);
                }
            }
        } finally {
            engine.shutdown(Duration.ofSeconds(1));
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    private static void exchange(SocketChannel client) throws IOException {
        try (client) {
            byte[] req = "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
            client.write(ByteBuffer.wrap(req));
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (client.read(buf) >= 0) {
                if (!buf.hasRemaining()) buf.clear();
            }
        }
    }
}

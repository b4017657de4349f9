package io.handoff.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's Netty {@code ChannelInitializer} in every model that runs one: an echo pipeline and an HTTP pipeline
 * (codec, aggregator, handler), built at test time. One server of each per class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class NettyAppContractTest {
    @TempDir
    static Path tmp;

    ServerProcess echo;
    ServerProcess http;

    abstract List<String> modelArgs();

    @BeforeAll
    void start() throws Exception {
        Path jar = NettyApps.jar(tmp);
        echo = serve(NettyApps.ECHO, jar);
        http = serve(NettyApps.HTTP, jar);
    }

    private ServerProcess serve(String initializer, Path jar) throws Exception {
        List<String> args = new ArrayList<>(modelArgs());
        args.addAll(List.of("--handler", initializer, "--handler-classpath", jar.toString(), "--bind", "127.0.0.1:0"));
        return ServerProcess.serve(args.toArray(String[]::new));
    }

    @AfterAll
    void stop() {
        for (ServerProcess s : new ServerProcess[] {echo, http}) {
            if (s == null) continue;
            s.close();
            System.out.println("---- server pid=" + s.pid() + " log ----\n" + s.log());
        }
    }

    @Test
    void echoPipelinesReturnEveryByteToManyClientsAtOnce() throws Exception {
        InetSocketAddress target = (InetSocketAddress) Clients.address(echo.addresses().get(0));
        try (ExecutorService pool = Executors.newFixedThreadPool(10)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 10; c++) {
                int seed = c;
                done.add(pool.submit(() -> {
                    byte[] data = new byte[100_000];
                    new SplittableRandom(seed).nextBytes(data);
                    try (Socket s = new Socket()) {
                        s.connect(target, 5000);
                        s.setSoTimeout(20_000);
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                s.getOutputStream().write(data);
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                        byte[] back = s.getInputStream().readNBytes(data.length);
                        writer.join(20_000);
                        assertArrayEquals(data, back);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void httpPipelinesKeepAliveAndSeeTheClientsAddress() throws Exception {
        InetSocketAddress target = (InetSocketAddress) Clients.address(http.addresses().get(0));
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.7"), 0));
            s.connect(target, 5000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 50; i++) {
                out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Clients.HttpResponse r = Clients.readResponse(in);
                assertEquals(200, r.status(), "request " + i);
                assertTrue(r.body().startsWith("netty pid=") && r.body().endsWith(" remote=127.0.0.7:"
                        + s.getLocalPort()), r.body());
            }
            byte[] body = new byte[70_000];
            out.write(("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            Clients.HttpResponse r = Clients.readResponse(in);
            assertEquals("length=70000", r.body());
        }
    }
}

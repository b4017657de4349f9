package io.handoff.handler;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A real in-process server and a byte-exact client for the HTTP handler tests. Nothing here can block forever. */
final class HttpTestSupport {
    static final int TIMEOUT_MILLIS = 10_000;

    private HttpTestSupport() {}

    /**
     * Accepts on 127.0.0.1, one virtual thread per connection, as the virtual-thread engine does; or hands every
     * connection to an engine (the event loop), which then owns it.
     */
    static final class Server implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Handler handler;
        private final io.handoff.engine.Engine engine;
        private final Thread acceptor;
        private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        /** What handle() threw, per connection that threw. */
        final List<Throwable> thrown = new CopyOnWriteArrayList<>();

        Server(Handler handler) throws IOException { this(handler, null); }

        Server(io.handoff.engine.Engine engine) throws IOException { this(null, engine); }

        private Server(Handler handler, io.handoff.engine.Engine engine) throws IOException {
            this.handler = handler;
            this.engine = engine;
            this.server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            this.acceptor = Thread.ofVirtual().name("test-acceptor").start(this::acceptLoop);
        }

        int port() {
            try {
                return ((InetSocketAddress) server.getLocalAddress()).getPort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        Client client() throws IOException { return new Client(port()); }

        /** Waits until {@code n} connections have been fully handled. */
        void awaitFinished(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
            while ((engine != null ? engine.served() : finished.get()) < n) {
                if (System.nanoTime() > deadline) throw new AssertionError("handler still running after timeout");
                Thread.sleep(5);
            }
        }

        /** Throwables other than socket IO errors, which clients that misbehave on purpose may cause. */
        List<Throwable> unexpected() {
            List<Throwable> bad = new ArrayList<>();
            for (Throwable t : thrown) {
                if (!(t instanceof IOException)) bad.add(t);
            }
            return bad;
        }

        private void acceptLoop() {
            while (server.isOpen()) {
                SocketChannel ch;
                try {
                    ch = server.accept();
                } catch (IOException e) {
                    return;
                }
                accepted.incrementAndGet();
                if (engine != null) {
                    engine.serve(ch);
                    continue;
                }
                open.add(ch);
                Thread.ofVirtual().start(() -> {
                    try (ch) {
                        handler.handle(new Connection(ch));
                    } catch (Throwable t) {
                        thrown.add(t);
                    } finally {
                        open.remove(ch);
                        finished.incrementAndGet();
                    }
                });
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (SocketChannel ch : open) ch.close();
            if (engine != null) {
                try {
                    engine.shutdown(java.time.Duration.ZERO);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            try {
                acceptor.join(TIMEOUT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    record Response(int status, Map<String, List<String>> headers, byte[] body) {
        /** The only value of a header (name in any case), or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            if (values == null) return null;
            if (values.size() != 1) throw new AssertionError("header " + name + " repeated: " + values);
            return values.get(0);
        }

        String text() { return new String(body, StandardCharsets.ISO_8859_1); }
    }

    /** A raw socket; every read times out. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        Socket socket() { return socket; }

        Client send(String text) throws IOException { return send(text.getBytes(StandardCharsets.ISO_8859_1)); }

        Client send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        Response read() throws IOException { return read(false); }

        /** One response; {@code head} says it answers a HEAD, so it has no body whatever Content-Length says. */
        Response read(boolean head) throws IOException {
            String statusLine = line();
            if (statusLine == null) throw new IOException("connection closed before a response");
            if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
                throw new IOException("bad status line: " + statusLine);
            }
            int status = Integer.parseInt(statusLine.substring(9, 12));
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (String line = line(); ; line = line()) {
                if (line == null) throw new IOException("connection closed in the response head");
                if (line.isEmpty()) break;
                int colon = line.indexOf(':');
                if (colon <= 0) throw new IOException("bad header line: " + line);
                headers.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(line.substring(colon + 1).strip());
            }
            List<String> lengths = headers.get("content-length");
            if (lengths == null || lengths.size() != 1) throw new IOException("no single Content-Length: " + headers);
            long length = Long.parseLong(lengths.get(0));
            byte[] body = head ? new byte[0] : in.readNBytes((int) length);
            if (body.length != (head ? 0 : length)) throw new IOException("body cut short: " + body.length);
            return new Response(status, headers, body);
        }

        /** True when the server has closed its side: end of stream (or a reset) with no further bytes. */
        boolean closedByServer() throws IOException {
            try {
                int b = in.read();
                if (b >= 0) throw new AssertionError("unexpected byte from server: " + b);
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        /** Everything until the server closes (or a reset). */
        byte[] readAll() throws IOException {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            try {
                for (int n; (n = in.read(chunk)) >= 0; ) all.write(chunk, 0, n);
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                // A reset after the answer still leaves what arrived before it.
            }
            return all.toByteArray();
        }

        /** One line of the response stream, without its CRLF; null at end of stream. */
        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (;;) {
                int b = in.read();
                if (b < 0) return sb.isEmpty() ? null : sb.toString();
                if (b == '\n') {
                    if (sb.isEmpty() || sb.charAt(sb.length() - 1) != '\r') {
                        throw new IOException("line not ended by CRLF: " + sb);
                    }
                    sb.setLength(sb.length() - 1);
                    return sb.toString();
                }
                sb.append((char) b);
            }
        }

        @Override
        public void close() throws IOException { socket.close(); }
    }
}

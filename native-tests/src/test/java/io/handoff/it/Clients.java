package io.handoff.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Small blocking clients with every read bounded by a timeout. */
final class Clients {
    static final int READ_TIMEOUT_MILLIS = 20_000;

    private Clients() {}

    /** Parses "127.0.0.1:8000", "[::1]:8000", "unix:/path" as printed in the listening line. */
    static java.net.SocketAddress address(String printed) {
        if (printed.startsWith("unix:")) return UnixDomainSocketAddress.of(Path.of(printed.substring(5)));
        int colon = printed.lastIndexOf(':');
        String host = printed.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(host, Integer.parseInt(printed.substring(colon + 1)));
    }

    static Socket tcp(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        return s;
    }

    /** Connects, reads until the server closes, returns what it said. Works for TCP and Unix addresses. */
    static String readAll(String printedAddress) throws IOException {
        var addr = address(printedAddress);
        if (addr instanceof UnixDomainSocketAddress unix) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(unix);
                // Unix channels have no SO_TIMEOUT; the server closes after one line, and the test has its own timeout.
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(256);
                while (ch.read(buf) >= 0) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                return out.toString(StandardCharsets.UTF_8);
            }
        }
        try (Socket s = new Socket()) {
            s.connect(addr, READ_TIMEOUT_MILLIS);
            s.setSoTimeout(READ_TIMEOUT_MILLIS);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Sends {@code text} over TCP to 127.0.0.1:{@code port}, half-closes, returns what came back (an echo). */
    static String echo(int port, String text) throws IOException {
        try (Socket s = tcp(port)) {
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Connects to 127.0.0.1:{@code port} and reads every byte until the server closes. */
    static byte[] readAllBytes(int port) throws IOException {
        try (Socket s = tcp(port)) {
            return s.getInputStream().readAllBytes();
        }
    }

    /** {@code total} hello connections to 127.0.0.1:{@code port}, 50 at a time; every one must get its greeting. */
    static void hello(int port, int total) throws Exception {
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(50)) {
            java.util.List<java.util.concurrent.Future<String>> replies = new java.util.ArrayList<>();
            for (int i = 0; i < total; i++) replies.add(pool.submit(() -> readAll("127.0.0.1:" + port)));
            for (var f : replies) {
                String reply = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                if (!reply.equals("Hello 127.0.0.1\n")) throw new AssertionError("hello reply: '" + reply + "'");
            }
        }
    }

    /** Reads one HTTP response (status line, headers, Content-Length body) from a keep-alive stream. */
    static HttpResponse readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) return null;
        java.util.Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String line; !(line = readLine(in)).isEmpty(); ) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("Content-Length", "0"));
        byte[] body = in.readNBytes(length);
        return new HttpResponse(statusLine, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != -1; ) {
            if (c == '\n') return sb.toString().stripTrailing();
            sb.append((char) c);
        }
        if (sb.isEmpty()) return null;
        throw new IOException("stream ended inside a line: " + sb);
    }

    record HttpResponse(String statusLine, java.util.Map<String, String> headers, String body) {
        int status() { return Integer.parseInt(statusLine.split(" ")[1]); }
    }
}

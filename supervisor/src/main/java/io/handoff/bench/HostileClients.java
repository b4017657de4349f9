package io.handoff.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that misbehave on purpose against an HTTP server ({@code --handler http}): they hold connections open,
 * vanish mid-exchange, half-close, send garbage or oversized heads, and split pipelines at every byte. Each attack is
 * bounded in count and time, checks what the server answered, and reports an {@link Outcome}; none of them waits
 * longer than {@link #READ_TIMEOUT} for the server.
 *
 * <p>{@code java -cp ... io.handoff.bench.HostileClients ATTACK HOST:PORT SECONDS} repeats one attack for SECONDS
 * (slowloris: holds its connections that long) and prints its outcome on one line.
 */
public final class HostileClients {
    /** The longest wait for a server answer; an attack that hits it reports the server as unresponsive. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    public static final List<String> ATTACKS = List.of("slowloris", "connect-close", "connect-reset",
            "reset-mid-request", "reset-mid-response", "half-close", "garbage", "long-request-line", "pipeline-splits");
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int MAX_SURPRISES = 20;

    private HostileClients() {}

    /**
     * What an attack saw: how many attempts, how many got the answer a correct server gives, and a sample of the
     * others (a wrong status, no answer within the timeout, a connection that stayed open).
     */
    public record Outcome(String attack, int attempts, int asExpected, List<String> surprises) {
        public boolean clean() { return asExpected == attempts && surprises.isEmpty(); }

        Outcome plus(Outcome o) {
            List<String> all = new ArrayList<>(surprises);
            for (String s : o.surprises) if (all.size() < MAX_SURPRISES) all.add(s);
            return new Outcome(attack, attempts + o.attempts, asExpected + o.asExpected, all);
        }

        @Override
        public String toString() {
            return "attack=" + attack + " attempts=" + attempts + " as_expected=" + asExpected + " surprises="
                    + surprises;
        }
    }

    /** Counts attempts and collects surprises from several threads. */
    private static final class Tally {
        private final String attack;
        private final AtomicInteger attempts = new AtomicInteger();
        private final AtomicInteger ok = new AtomicInteger();
        private final List<String> surprises = Collections.synchronizedList(new ArrayList<>());

        Tally(String attack) { this.attack = attack; }

        void expected() {
            attempts.incrementAndGet();
            ok.incrementAndGet();
        }

        void surprise(String what) {
            attempts.incrementAndGet();
            if (surprises.size() < MAX_SURPRISES) surprises.add(what);
        }

        Outcome outcome() {
            synchronized (surprises) {
                return new Outcome(attack, attempts.get(), ok.get(), List.copyOf(surprises));
            }
        }
    }

    // ---- slowloris

    /**
     * Connections that send a request head one byte at a time and never finish it: each {@link #drip} adds one more
     * byte of an endless header section to every connection.
     */
    public static final class Slowloris implements AutoCloseable {
        private static final byte[] START = ascii("GET / HTTP/1.1\r\nHost: slowloris\r\n");
        private static final byte[] DRIP = ascii("X-Slow: a\r\n");
        private final List<SocketChannel> channels = new ArrayList<>();
        private final ByteBuffer one = ByteBuffer.allocate(1);
        private int dripped;
        private int dropped;

        /** Opens {@code connections} connections and sends each the start of a head. */
        public static Slowloris open(InetSocketAddress target, int connections) throws IOException {
            Slowloris s = new Slowloris();
            try {
                for (int i = 0; i < connections; i++) {
                    SocketChannel ch = SocketChannel.open();
                    s.channels.add(ch);
                    ch.socket().connect(target, CONNECT_TIMEOUT_MILLIS);
                    ch.write(ByteBuffer.wrap(START));
                }
            } catch (IOException e) {
                s.close();
                throw new IOException("slowloris: connection " + s.channels.size() + " of " + connections, e);
            }
            return s;
        }

        public int size() { return channels.size(); }

        /** Connections the server closed or reset so far (noticed when a drip fails). */
        public int dropped() { return dropped; }

        /** One more header byte on every connection still open; never completes a head (no empty line). */
        public void drip() {
            byte b = DRIP[dripped++ % DRIP.length];
            for (SocketChannel ch : channels) {
                if (!ch.isOpen()) continue;
                try {
                    one.clear();
                    one.put(b).flip();
                    ch.write(one);
                } catch (IOException e) {
                    dropped++;
                    closeQuietly(ch);
                }
            }
        }

        /** Holds the connections for {@code duration}, a byte every {@code interval}. */
        public void hold(Duration duration, Duration interval) throws InterruptedException {
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end) {
                drip();
                Thread.sleep(Math.max(1, Math.min(interval.toMillis(), (end - System.nanoTime()) / 1_000_000)));
            }
        }

        @Override
        public void close() {
            for (SocketChannel ch : channels) closeQuietly(ch);
        }
    }

    // ---- connection floods

    /**
     * {@code count} connections that close at once, without a request: gracefully (FIN), or with {@code reset} by
     * SO_LINGER 0 (RST). Expected: every connect succeeds; there is nothing to answer.
     */
    public static Outcome connectFlood(InetSocketAddress target, int count, boolean reset, int threads)
            throws InterruptedException {
        Tally t = new Tally(reset ? "connect-reset" : "connect-close");
        parallel(threads, count, i -> {
            try (Socket s = new Socket()) {
                if (reset) s.setSoLinger(true, 0);
                s.connect(target, CONNECT_TIMEOUT_MILLIS);
                t.expected();
            } catch (IOException e) {
                t.surprise("connect: " + e);
            }
        });
        return t.outcome();
    }

    /** {@code count} clients that send part of a request head, wait until the server has read it, then reset. */
    public static Outcome resetMidRequest(InetSocketAddress target, int count, int threads)
            throws InterruptedException {
        Tally t = new Tally("reset-mid-request");
        byte[] partial = ascii("GET / HTTP/1.1\r\nHost: reset\r\nX-Partial: abc");
        parallel(threads, count, i -> {
            try (Socket s = connect(target)) {
                s.getOutputStream().write(partial);
                // An answer now would mean the server took a partial head for a whole one. The pause also lets
                // the server read the partial head before the reset.
                s.setSoTimeout(5);
                try {
                    int b = s.getInputStream().read();
                    t.surprise("answer to a partial head: " + (b < 0 ? "closed" : "byte " + b));
                } catch (SocketTimeoutException quiet) {
                    t.expected();
                }
                s.setSoLinger(true, 0);
            } catch (IOException e) {
                t.surprise("reset-mid-request: " + e);
            }
        });
        return t.outcome();
    }

    /**
     * {@code count} clients that pipeline {@code requests} GETs with a small receive window, so the server blocks
     * writing answers, read the start of the first answer, then reset.
     */
    public static Outcome resetMidResponse(InetSocketAddress target, int count, int requests, int threads)
            throws InterruptedException {
        Tally t = new Tally("reset-mid-response");
        byte[] pipeline = ascii("GET / HTTP/1.1\r\nHost: reset\r\n\r\n".repeat(requests));
        parallel(threads, count, i -> {
            Socket s = new Socket();
            Thread writer = null;
            try (s) {
                s.setReceiveBufferSize(4096); // before connect, so the window stays small
                s.connect(target, CONNECT_TIMEOUT_MILLIS);
                s.setSoTimeout((int) READ_TIMEOUT.toMillis());
                // The server stops reading while its answers back up, so this write may block until the reset.
                writer = Thread.ofVirtual().start(() -> {
                    try {
                        s.getOutputStream().write(pipeline);
                    } catch (IOException expected) {
                        // reset under it
                    }
                });
                byte[] head = s.getInputStream().readNBytes(12);
                if (!new String(head, StandardCharsets.ISO_8859_1).equals("HTTP/1.1 200")) {
                    t.surprise("first answer: '" + new String(head, StandardCharsets.ISO_8859_1) + "'");
                } else {
                    t.expected();
                }
                s.setSoLinger(true, 0);
            } catch (IOException e) {
                t.surprise("reset-mid-response: " + e);
            }
            join(writer);
        });
        return t.outcome();
    }

    // ---- protocol abuse

    /**
     * {@code count} clients that send a request (one GET; three pipelined; an HTTP/1.0 GET, in turn), then shut down
     * their sending side: every answer must still arrive, then the server's close.
     */
    public static Outcome halfClose(InetSocketAddress target, int count, int threads) throws InterruptedException {
        Tally t = new Tally("half-close");
        String get = "GET / HTTP/1.1\r\nHost: half\r\n\r\n";
        String[] requests = {get, get.repeat(3), "GET / HTTP/1.0\r\n\r\n"};
        int[] answers = {1, 3, 1};
        parallel(threads, count, i -> {
            int k = i % requests.length;
            try (Socket s = connect(target)) {
                s.getOutputStream().write(ascii(requests[k]));
                s.shutdownOutput();
                String all = new String(readToEnd(s.getInputStream()), StandardCharsets.ISO_8859_1);
                int ok = count(all, "HTTP/1.1 200 OK\r\n");
                if (ok == answers[k] && all.endsWith("\r\n\r\nhello\n")) {
                    t.expected();
                } else {
                    t.surprise("half-closed after " + answers[k] + " request(s): got " + ok + " answers: "
                            + abbreviate(all));
                }
            } catch (IOException e) {
                t.surprise("half-close: " + e);
            }
        });
        return t.outcome();
    }

    /**
     * {@code count} clients that send {@code bytes} of garbage (random bytes, then the letter A, in turn), writing
     * and reading at once: the server must answer with an error status (or just close) and end the connection.
     */
    public static Outcome garbage(InetSocketAddress target, int count, int bytes, long seed)
            throws InterruptedException {
        Tally t = new Tally("garbage");
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] random = new byte[bytes];
        for (int i = 0; i < bytes; i++) random[i] = (byte) rnd.nextInt(256);
        byte[] letters = new byte[bytes];
        java.util.Arrays.fill(letters, (byte) 'A');
        for (int i = 0; i < count; i++) {
            byte[] junk = i % 2 == 0 ? random : letters;
            expectError(target, junk, t, "garbage", List.of(400, 414, 431, 501, 505), true);
        }
        return t.outcome();
    }

    /** {@code count} requests whose request line is {@code length} bytes long: 414 (or 431), then the close. */
    public static Outcome longRequestLine(InetSocketAddress target, int count, int length) throws InterruptedException {
        Tally t = new Tally("long-request-line");
        byte[] request = ascii("GET /" + "a".repeat(length) + " HTTP/1.1\r\nHost: long\r\n\r\n");
        for (int i = 0; i < count; i++) expectError(target, request, t, "long request line", List.of(414, 431), false);
        return t.outcome();
    }

    /** A pipeline of three requests whose answers are all different, so an answer out of order shows. */
    static final String[] PIPELINE = {
        "GET / HTTP/1.1\r\nHost: split\r\n\r\n",
        "HEAD /missing HTTP/1.1\r\nHost: split\r\n\r\n",
        "GET /?last HTTP/1.1\r\nHost: split\r\nConnection: close\r\n\r\n",
    };

    /**
     * The three-request {@link #PIPELINE}, split in two at every byte position, one connection per position, the
     * second part sent {@code pause} after the first: always 200 with hello, a bodiless 404, 200 with
     * Connection: close, then the server's close, and nothing else.
     */
    public static Outcome pipelineSplits(InetSocketAddress target, Duration pause, int threads)
            throws InterruptedException {
        Tally t = new Tally("pipeline-splits");
        byte[] all = ascii(String.join("", PIPELINE));
        parallel(threads, all.length - 1, i -> {
            int split = i + 1;
            try (Socket s = connect(target)) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                out.write(all, 0, split);
                out.flush();
                sleep(pause);
                out.write(all, split, all.length - split);
                String got = new String(readToEnd(s.getInputStream()), StandardCharsets.ISO_8859_1);
                String why = checkPipelineAnswers(got);
                if (why == null) {
                    t.expected();
                } else {
                    t.surprise("split at " + split + ": " + why + ": " + abbreviate(got));
                }
            } catch (IOException e) {
                t.surprise("split at " + split + ": " + e);
            }
        });
        return t.outcome();
    }

    /** @return null when {@code got} is exactly the three answers to {@link #PIPELINE}, else what is wrong */
    static String checkPipelineAnswers(String got) {
        int at = 0;
        int[] statuses = {200, 404, 200};
        boolean[] bodies = {true, false, true};
        for (int r = 0; r < 3; r++) {
            int headEnd = got.indexOf("\r\n\r\n", at);
            if (headEnd < 0) return "answer " + (r + 1) + " missing";
            String head = got.substring(at, headEnd + 2);
            if (!head.startsWith("HTTP/1.1 " + statuses[r] + " ")) return "answer " + (r + 1) + " not " + statuses[r];
            boolean close = head.contains("\r\nConnection: close\r\n");
            if (close != (r == 2)) return "answer " + (r + 1) + (close ? " closes" : " does not close");
            int cl = head.indexOf("\r\nContent-Length: ");
            if (cl < 0) return "answer " + (r + 1) + " has no Content-Length";
            int length = Integer.parseInt(head.substring(cl + 18, head.indexOf("\r\n", cl + 2)));
            at = headEnd + 4 + (bodies[r] ? length : 0);
            if (at > got.length()) return "answer " + (r + 1) + " body cut short";
            if (r != 1 && !got.substring(headEnd + 4, at).equals("hello\n")) return "answer " + (r + 1) + " body";
        }
        return at == got.length() ? null : (got.length() - at) + " bytes after the last answer";
    }

    // ---- plumbing

    /**
     * Writes {@code request} on a virtual thread while reading the answer: the server may refuse long before the end
     * and close (or reset) while the client still writes.
     */
    private static void expectError(InetSocketAddress target, byte[] request, Tally t, String what,
            List<Integer> statuses, boolean mayBeSilent) {
        Thread writer = null;
        try (Socket s = connect(target)) {
            writer = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(request);
                } catch (IOException refused) {
                    // the server closed first: expected
                }
            });
            byte[] answer = readToEnd(s.getInputStream());
            String text = new String(answer, StandardCharsets.ISO_8859_1);
            boolean ok = answer.length == 0 ? mayBeSilent
                    : text.startsWith("HTTP/1.1 ") && text.length() >= 12
                            && statuses.contains(parseStatus(text)) && text.contains("\r\nConnection: close\r\n");
            if (ok) {
                t.expected();
            } else {
                t.surprise(what + ": " + (answer.length == 0 ? "closed without an answer" : abbreviate(text)));
            }
        } catch (SocketTimeoutException e) {
            t.surprise(what + ": connection still open after " + READ_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            t.surprise(what + ": " + e);
        }
        join(writer);
    }

    private static int parseStatus(String text) {
        try {
            return Integer.parseInt(text.substring(9, 12));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Everything until the server closes or resets; only a server that neither answers nor closes throws. */
    static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        try {
            for (int n; (n = in.read(chunk)) >= 0; ) all.write(chunk, 0, n);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // A reset: what arrived before it still counts.
        }
        return all.toByteArray();
    }

    private static Socket connect(InetSocketAddress target) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(target, CONNECT_TIMEOUT_MILLIS);
            s.setSoTimeout((int) READ_TIMEOUT.toMillis());
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private interface Task {
        void run(int index) throws IOException;
    }

    /** Runs {@code task(0..count-1)} on {@code threads} virtual threads, each taking the next index. */
    private static void parallel(int threads, int count, Task task) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < Math.max(1, threads); t++) {
            all.add(Thread.ofVirtual().start(() -> {
                for (int i; (i = next.getAndIncrement()) < count; ) {
                    try {
                        task.run(i);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }));
        }
        for (Thread t : all) t.join();
    }

    private static void join(Thread t) {
        if (t == null) return;
        try {
            t.join(READ_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) n++;
        return n;
    }

    private static String abbreviate(String s) {
        String t = s.replace("\r", "\\r").replace("\n", "\\n");
        return t.length() <= 160 ? t : t.substring(0, 160) + "... (" + s.length() + " chars)";
    }

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }

    /** One attack at its default size, for the benchmark's background load. */
    public static Outcome once(String attack, InetSocketAddress target) throws InterruptedException {
        return switch (attack) {
            case "connect-close" -> connectFlood(target, 500, false, 4);
            case "connect-reset" -> connectFlood(target, 500, true, 4);
            case "reset-mid-request" -> resetMidRequest(target, 100, 4);
            case "reset-mid-response" -> resetMidResponse(target, 20, 2000, 4);
            case "half-close" -> halfClose(target, 90, 4);
            case "garbage" -> garbage(target, 2, 1024 * 1024, 42);
            case "long-request-line" -> longRequestLine(target, 10, 100 * 1024);
            case "pipeline-splits" -> pipelineSplits(target, Duration.ofMillis(2), 4);
            default -> throw new IllegalArgumentException("unknown attack '" + attack + "' (one of " + ATTACKS + ")");
        };
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !ATTACKS.contains(args[0])) {
            System.err.println("usage: HostileClients ATTACK HOST:PORT SECONDS; ATTACK one of " + ATTACKS);
            System.exit(2);
        }
        Target target;
        long seconds;
        try {
            target = Target.parse(args[1]);
            seconds = Long.parseLong(args[2]);
        } catch (IllegalArgumentException e) {
            System.err.println("HostileClients: " + e.getMessage());
            System.exit(2);
            return;
        }
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        Outcome total;
        int rounds = 0;
        if (args[0].equals("slowloris")) {
            try (Slowloris s = Slowloris.open(target.address(), 1000)) {
                s.hold(Duration.ofSeconds(seconds), Duration.ofSeconds(2));
                total = new Outcome("slowloris", s.size(), s.size() - s.dropped(),
                        s.dropped() == 0 ? List.of() : List.of(s.dropped() + " dropped by the server"));
                rounds = 1;
            }
        } else {
            total = new Outcome(args[0], 0, 0, List.of());
            while (System.nanoTime() < end) {
                total = total.plus(once(args[0], target.address()));
                rounds++;
            }
        }
        System.out.println(String.format(Locale.ROOT, "rounds=%d ", rounds) + total);
    }
}

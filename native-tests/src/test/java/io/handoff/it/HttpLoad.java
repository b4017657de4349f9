package io.handoff.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous HTTP load for the zero-failure tests: {@code clients} threads, each on a keep-alive connection,
 * sending GET / back to back. A response with {@code Connection: close} ends the connection and the client
 * reconnects, as an HTTP client must. A request that was written on an established connection and got no complete
 * 200 response is a failure; a connect refused (the listener is closed at stop) is counted apart, as "refused".
 */
final class HttpLoad implements AutoCloseable {
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: load\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final int port;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    /**
     * Fresh connections reset before their first answer: at stop, the kernel resets connections it had queued on a
     * listener that closes; they never reached the server. Counted apart so a test can bound them.
     */
    final AtomicLong resetUnanswered = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    HttpLoad(int port, int clients) {
        this.port = port;
        for (int i = 0; i < clients; i++) threads.add(Thread.ofPlatform().daemon().name("load-" + i).start(this::run));
    }

    private void run() {
        while (running) {
            Socket s;
            try {
                s = Clients.tcp(port);
            } catch (ConnectException e) {
                refused.incrementAndGet();
                pause();
                continue;
            } catch (IOException e) {
                refused.incrementAndGet();
                pause();
                continue;
            }
            try (s) {
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                int answered = 0;
                while (running) {
                    try {
                        out.write(REQUEST);
                        Clients.HttpResponse r = Clients.readResponse(in);
                        if (r == null || r.status() != 200 || !r.body().equals("hello\n")) {
                            fail("bad or missing response: " + (r == null ? "end of stream" : r.statusLine()));
                            break;
                        }
                        ok.incrementAndGet();
                        answered++;
                        if ("close".equalsIgnoreCase(r.headers().get("Connection"))) break;
                    } catch (IOException e) {
                        if (answered == 0 && String.valueOf(e.getMessage()).contains("reset")) {
                            resetUnanswered.incrementAndGet();
                        } else {
                            fail(e.toString());
                        }
                        break;
                    }
                }
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private void fail(String why) {
        failed.incrementAndGet();
        if (failures.size() < 20) failures.add(why);
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException ignored) {
            // ending
        }
    }

    /** Stops every client (bounded) and returns a summary. */
    String stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) t.join(30_000);
        return "ok=" + ok + " failed=" + failed + " refused=" + refused + " reset_unanswered=" + resetUnanswered
                + " failures=" + failures;
    }

    @Override
    public void close() throws InterruptedException { stop(); }
}

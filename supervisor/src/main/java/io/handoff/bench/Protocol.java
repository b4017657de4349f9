package io.handoff.bench;

/** The four conversations the load generator knows. */
enum Protocol {
    /** N persistent connections; each sends the next request when the previous response is complete. */
    HTTP_KEEPALIVE(true, true),
    /** {@code Connection: close}: connect, send, read to EOF, reconnect; latency includes the connect. */
    HTTP_CLOSE(true, false),
    /** Connect, read the greeting to EOF, reconnect; latency includes the connect. */
    HELLO(false, false),
    /** Write 64 bytes, read 64 back, repeat on the same connection. */
    ECHO(true, true);

    /** Bytes per echo round trip. */
    static final int ECHO_SIZE = 64;

    private final boolean sends;
    private final boolean persistent;

    Protocol(boolean sends, boolean persistent) {
        this.sends = sends;
        this.persistent = persistent;
    }

    /** Whether the client writes a request (hello only listens). */
    boolean sends() { return sends; }

    /** Whether a connection carries many requests, so latency is measured from the write, not the connect. */
    boolean persistent() { return persistent; }

    boolean isHttp() { return this == HTTP_KEEPALIVE || this == HTTP_CLOSE; }
}

package io.handoff.bench;

import java.util.List;

/** What the load generator speaks, named after the built-in handler that serves it ({@code --handler}). */
enum Workload {
    /** HTTP/1.1 GET /, keep-alive or one request per connection. */
    http(List.of(Mode.keepalive, Mode.close)),
    /** Connect and read the greeting to EOF: every request is a new connection. */
    hello(List.of(Mode.close)),
    /** 64 bytes out, the same 64 back, on persistent connections. */
    echo(List.of(Mode.keepalive));

    private final List<Mode> modes;

    Workload(List<Mode> modes) {
        this.modes = modes;
    }

    /** The modes this workload has; hello only ever closes, echo only ever keeps its connection. */
    List<Mode> modes() {
        return modes;
    }

    /** How the generator runs this workload in the given mode. */
    Protocol protocol(Mode mode) {
        return switch (this) {
            case http -> mode == Mode.keepalive ? Protocol.HTTP_KEEPALIVE : Protocol.HTTP_CLOSE;
            case hello -> Protocol.HELLO;
            case echo -> Protocol.ECHO;
        };
    }
}

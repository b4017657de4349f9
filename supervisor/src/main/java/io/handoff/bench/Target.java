package io.handoff.bench;

import java.net.InetSocketAddress;

/**
 * An already-running server to measure: {@code HOST:PORT}, {@code [IPV6]:PORT}, or {@code NAME=HOST:PORT}. Its row in
 * the results is named {@code name} (the address when no name is given).
 */
record Target(String name, String host, int port) {
    Target {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("empty target name");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is not 1..65535");
    }

    static Target parse(String text) {
        String s = text.trim();
        String name = null;
        int eq = s.indexOf('=');
        if (eq >= 0) {
            name = s.substring(0, eq).trim();
            s = s.substring(eq + 1).trim();
            if (name.isEmpty()) throw new IllegalArgumentException("'" + text + "' has an empty name before '='");
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (or NAME=HOST:PORT)");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        else if (host.contains(":")) throw new IllegalArgumentException("'" + text + "': write IPv6 as [ADDR]:PORT");
        if (host.isEmpty()) throw new IllegalArgumentException("'" + text + "' has no host");
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has a port that is not a number");
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("'" + text + "': port must be 1..65535");
        return new Target(name == null ? s : name, host, port);
    }

    /** Resolved when the run starts, not when parsed, so a name like localhost follows the machine's resolver. */
    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    /** HOST:PORT as it goes into the Host header and the report. */
    String hostPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}

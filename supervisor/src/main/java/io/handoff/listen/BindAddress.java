package io.handoff.listen;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * A parsed {@code --bind} value: a stream address {@code HOST:PORT}, {@code [IPV6]:PORT}, {@code :PORT} or
 * {@code unix:PATH}, or a datagram address {@code udp:} + any of the first three, or {@code unixgram:PATH}.
 */
public record BindAddress(String text, SocketAddress address) {
    public static final String FORMS = "HOST:PORT, [IPV6]:PORT, :PORT, unix:PATH, udp:HOST:PORT, udp:[IPV6]:PORT, "
            + "udp::PORT or unixgram:PATH";

    /** A UDP or Unix datagram address ({@code udp:}, {@code unixgram:}). */
    public boolean datagram() { return text.startsWith("udp:") || text.startsWith("unixgram:"); }

    public static BindAddress parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty address; expected " + FORMS);
        if (text.startsWith("udp:")) {
            String rest = text.substring("udp:".length());
            if (rest.startsWith("unix:") || rest.startsWith("unixgram:") || rest.startsWith("udp:")) {
                throw new IllegalArgumentException("'" + text + "': udp: takes HOST:PORT, [IPV6]:PORT or :PORT");
            }
            try {
                return new BindAddress(text, parse(rest).address());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replace("'" + rest + "'", "'" + text + "'"));
            }
        }
        if (text.startsWith("unix:") || text.startsWith("unixgram:")) {
            String prefix = text.startsWith("unix:") ? "unix:" : "unixgram:";
            String path = text.substring(prefix.length());
            if (path.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' has no path; expected " + prefix + "PATH");
            }
            if (path.indexOf('\0') >= 0) throw new IllegalArgumentException("'" + text + "' contains a NUL byte");
            return new BindAddress(text, UnixDomainSocketAddress.of(Path.of(path).toAbsolutePath()));
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) throw new IllegalArgumentException("'" + text + "' is not [IPV6]:PORT");
            host = text.substring(1, close);
            port = text.substring(close + 2);
            if (!host.contains(":")) throw new IllegalArgumentException("'" + text + "': brackets are for IPv6 only");
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) throw new IllegalArgumentException("'" + text + "' has no port; expected " + FORMS);
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("'" + text + "': write IPv6 addresses in brackets, [::1]:8000");
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port '" + port + "' is not a number 0-65535");
        }
        if (p < 0 || p > 65535) throw new IllegalArgumentException("'" + text + "': port " + p + " is not in 0-65535");
        if (host.isEmpty()) return new BindAddress(text, new InetSocketAddress(p));
        try {
            return new BindAddress(text, new InetSocketAddress(InetAddress.getByName(host), p));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "': unknown host '" + host + "'");
        }
    }

    @Override
    public String toString() { return text; }
}

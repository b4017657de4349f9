package io.handoff.listen;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import io.handoff.listen.Listener.ListenException;
import io.handoff.unix.DatagramPort;
import io.handoff.unix.Fd;

/**
 * One bound datagram socket: {@code udp:} (IPv4, IPv6, or dual-stack on {@code ::}) or {@code unixgram:}. Bound by
 * the supervisor in every model, so a port below 1024 needs no privilege in the processes that serve it. Owns the
 * Unix socket file it created and removes it on close.
 */
public final class DatagramListener implements Closeable {
    /**
     * The receive buffer asked for: room for bursts while every receiver is busy (a few thousand small datagrams).
     * Granted whole to a privileged supervisor (SO_RCVBUFFORCE); otherwise Linux caps it at net.core.rmem_max
     * (about 208 KiB by default: raise that sysctl for more).
     */
    public static final int RECEIVE_BUFFER = 4 << 20;

    private final BindAddress bind;
    private final DatagramPort port;
    private final ProtocolFamily family;
    /** The real address (the port the kernel chose for port 0), to bind more SO_REUSEPORT sockets beside it. */
    private final InetSocketAddress local;
    private final Path unixPath;
    private final boolean reusePort;

    private DatagramListener(BindAddress bind, DatagramPort port, ProtocolFamily family, InetSocketAddress local,
            Path unixPath, boolean reusePort) {
        this.bind = bind;
        this.port = port;
        this.family = family;
        this.local = local;
        this.unixPath = unixPath;
        this.reusePort = reusePort;
    }

    /**
     * Binds {@code bind}; with {@code reusePort} (UDP only) the socket is one of an SO_REUSEPORT group that
     * {@link #bindAnother} extends. A failure names the address and says what to do.
     */
    public static DatagramListener bind(BindAddress bind, boolean reusePort) throws ListenException {
        try {
            if (bind.address() instanceof UnixDomainSocketAddress unix) {
                Path path = unix.getPath();
                removeStale(bind, path);
                DatagramPort port = DatagramPort.bindUnix(path);
                tune(port);
                return new DatagramListener(bind, port, StandardProtocolFamily.UNIX, null, path, false);
            }
            InetSocketAddress inet = (InetSocketAddress) bind.address();
            ProtocolFamily family;
            if (inet.getAddress().isAnyLocalAddress()) {
                // "udp::PORT" means every interface: a dual-stack IPv6 socket on "::" takes IPv4 datagrams too.
                family = ipv6Available() ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
                inet = new InetSocketAddress(InetAddress.getByName(family == StandardProtocolFamily.INET6 ? "::"
                        : "0.0.0.0"), inet.getPort());
            } else {
                family = inet.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET
                        : StandardProtocolFamily.INET6;
            }
            return bindInet(bind, inet, family, reusePort);
        } catch (BindException e) {
            throw new ListenException("cannot bind " + bind + ": " + e.getMessage()
                    + " (another process holds it? choose another address with --bind)");
        } catch (IOException | RuntimeException e) {
            throw new ListenException("cannot bind " + bind + ": " + e.getMessage());
        }
    }

    private static DatagramListener bindInet(BindAddress bind, InetSocketAddress at, ProtocolFamily family,
            boolean reusePort) throws IOException {
        DatagramChannel ch = DatagramChannel.open(family);
        try {
            if (reusePort) ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(at);
            InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
            DatagramPort port = DatagramPort.of(ch, family); // closes the channel; the port owns a duplicate
            tune(port);
            return new DatagramListener(bind, port, family, local, null, reusePort);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void tune(DatagramPort port) throws IOException {
        int granted = port.setReceiveBuffer(RECEIVE_BUFFER);
        if (granted < RECEIVE_BUFFER) {
            org.slf4j.LoggerFactory.getLogger(DatagramListener.class).info("datagram receive buffer bytes={} (asked {};"
                    + " raise net.core.rmem_max for more)", granted, RECEIVE_BUFFER);
        }
    }

    /** Another socket of this SO_REUSEPORT group, on the same real address: the kernel spreads datagrams over them. */
    public DatagramListener bindAnother() throws ListenException {
        if (!reusePort) throw new IllegalStateException(bind + " is not an SO_REUSEPORT socket");
        try {
            return bindInet(bind, local, family, true);
        } catch (IOException | RuntimeException e) {
            throw new ListenException("cannot bind another socket on " + describe() + ": " + e.getMessage());
        }
    }

    /** A Unix socket file nobody is bound to any more is removed; a live one, or a file that is no socket, is an error. */
    private static void removeStale(BindAddress bind, Path path) throws ListenException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isOther()) throw new ListenException("cannot bind " + bind + ": " + path
                    + " exists and is not a socket (remove it or choose another path)");
            if (DatagramPort.isBoundUnix(path)) {
                throw new ListenException("cannot bind " + bind + ": a server is already bound to " + path);
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new ListenException("cannot bind " + bind + ": " + e.getMessage());
        }
    }

    private static boolean ipv6Available() {
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public DatagramPort port() { return port; }

    public ProtocolFamily family() { return family; }

    public BindAddress bindAddress() { return bind; }

    public boolean reusePort() { return reusePort; }

    /** A close-on-exec duplicate for a worker. */
    public Fd duplicate() throws IOException { return port.duplicate(); }

    /** The real address: {@code udp:127.0.0.1:5353}, {@code udp:[::]:5353}, {@code unixgram:/run/x.sock}. */
    public String describe() {
        if (unixPath != null) return "unixgram:" + unixPath;
        String host = local.getAddress().getHostAddress();
        if (local.getAddress() instanceof Inet6Address) host = "[" + host.replaceAll("%.*", "") + "]";
        return "udp:" + host + ":" + local.getPort();
    }

    /** Closes this process's reference; the Unix file goes too (datagrams queued in the socket go with the last one). */
    @Override
    public void close() {
        port.close();
        if (unixPath != null) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException ignored) {
                // best effort: a stale file is removed by the next start anyway
            }
        }
    }
}

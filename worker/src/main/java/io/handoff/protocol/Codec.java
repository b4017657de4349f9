package io.handoff.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.handoff.protocol.Message.Accepted;
import io.handoff.protocol.Message.Drained;
import io.handoff.protocol.Message.Family;
import io.handoff.protocol.Message.Handoff;
import io.handoff.protocol.Message.Heartbeat;
import io.handoff.protocol.Message.Listeners;
import io.handoff.protocol.Message.Ready;
import io.handoff.protocol.Message.Refused;
import io.handoff.protocol.Message.ReopenLogs;
import io.handoff.protocol.Message.Stop;
import io.handoff.unix.Fd;

/**
 * Frame layout: {@code int length} (of what follows), {@code byte type}, then the type's fields in big-endian
 * order; a handed-over connection is {@code byte family, byte peerLength, peer bytes}. Frames are small (at most
 * {@link #MAX_FRAME} bytes) so one always fits one receive buffer.
 */
public final class Codec {
    /** The largest frame: a handoff of 253 IPv6 connections. */
    public static final int MAX_FRAME = 4 + 1 + 8 + 2 + 253 * (2 + Message.MAX_PEER);
    /** What one receive takes in at most: room for many small frames, and always for the largest. */
    public static final int RECEIVE_BUFFER = 4 * MAX_FRAME;

    private static final byte READY = 1, HANDOFF = 2, ACCEPTED = 3, REFUSED = 4, HEARTBEAT = 5, STOP = 6, DRAINED = 7,
            REOPEN_LOGS = 8, LISTENERS = 9,
            DATAGRAM_STATS = 10;
    /** Set in a Listeners family byte for a datagram socket. */
    private static final int DATAGRAM_BIT = 0x40;

    private Codec() {}

    /** Writes one frame at {@code out}'s position. Returns the fds that must travel with it. */
    public static List<Fd> encode(Message message, ByteBuffer out) {
        int start = out.position();
        out.putInt(0);
        List<Fd> fds = List.of();
        switch (message) {
            case Ready r -> out.put(READY).putInt(r.pid());
            case Handoff h -> {
                out.put(HANDOFF).putLong(h.seq());
                putConnections(out, h.families(), h.peers());
                fds = h.fds();
            }
            case Accepted a -> out.put(ACCEPTED).putLong(a.seq()).putInt(a.count()).putInt(a.open());
            case Refused r -> {
                out.put(REFUSED).putLong(r.seq());
                putConnections(out, r.families(), r.peers());
                fds = r.fds();
            }
            case Heartbeat h -> out.put(HEARTBEAT).putInt(h.open()).putLong(h.served());
            case Stop s -> out.put(STOP).putLong(s.graceMillis());
            case Drained d -> out.put(DRAINED).put((byte) (d.graceful() ? 1 : 0)).putLong(d.served());
            case ReopenLogs r -> out.put(REOPEN_LOGS);
            case Listeners l -> {
                out.put(LISTENERS);
                out.putShort((short) l.families().size());
                for (int i = 0; i < l.families().size(); i++) {
                    out.put((byte) (l.families().get(i).ordinal()
                            | (l.kinds().get(i) == Message.Kind.DATAGRAM ? DATAGRAM_BIT : 0)));
                }
                fds = l.fds();
            }
            case Message.DatagramStats d -> out.put(DATAGRAM_STATS).putLong(d.in()).putLong(d.out())
                    .putLong(d.dropped()).putLong(d.failed()).putLong(d.undelivered());
        }
        out.putInt(start, out.position() - start - 4);
        return fds;
    }

    private static void putConnections(ByteBuffer out, List<Family> families, List<byte[]> peers) {
        out.putShort((short) families.size());
        for (int i = 0; i < families.size(); i++) {
            byte[] peer = peers.get(i);
            out.put((byte) families.get(i).ordinal()).put((byte) peer.length).put(peer);
        }
    }

    /**
     * Reassembles frames from a byte stream and the fds that arrived with it. Feed it whatever one recvmsg gave;
     * it hands back every complete message. Not thread-safe: one reader per link.
     */
    public static final class Reader {
        /** A partial frame plus one receive's worth. */
        private final ByteBuffer pending = ByteBuffer.allocate(MAX_FRAME + RECEIVE_BUFFER);
        private final ArrayList<Fd> fds = new ArrayList<>();

        /** Takes ownership of {@code receivedFds}; appends decoded messages to {@code out}. */
        public void feed(ByteBuffer bytes, List<Fd> receivedFds, List<Message> out) throws ProtocolException {
            fds.addAll(receivedFds);
            if (bytes.remaining() > pending.remaining()) {
                throw new ProtocolException("frame overflow: " + bytes.remaining() + " bytes behind a partial frame");
            }
            pending.put(bytes);
            pending.flip();
            try {
                while (pending.remaining() >= 4) {
                    int length = pending.getInt(pending.position());
                    if (length < 1 || length > MAX_FRAME) throw new ProtocolException("bad frame length " + length);
                    if (pending.remaining() < 4 + length) break;
                    pending.getInt();
                    int end = pending.position() + length;
                    out.add(decodeBody(pending, end));
                    if (pending.position() != end) throw new ProtocolException("frame length mismatch");
                }
            } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
                throw new ProtocolException("malformed frame: " + e);
            } finally {
                pending.compact();
            }
        }

        private Message decodeBody(ByteBuffer in, int end) throws ProtocolException {
            byte type = in.get();
            return switch (type) {
                case READY -> new Ready(in.getInt());
                case HANDOFF -> {
                    long seq = in.getLong();
                    List<Family> families = new ArrayList<>();
                    List<byte[]> peers = getConnections(in, families);
                    yield new Handoff(seq, families, peers, takeFds(families.size()));
                }
                case ACCEPTED -> new Accepted(in.getLong(), in.getInt(), in.getInt());
                case REFUSED -> {
                    long seq = in.getLong();
                    List<Family> families = new ArrayList<>();
                    List<byte[]> peers = getConnections(in, families);
                    yield new Refused(seq, families, peers, takeFds(families.size()));
                }
                case HEARTBEAT -> new Heartbeat(in.getInt(), in.getLong());
                case STOP -> new Stop(in.getLong());
                case DRAINED -> new Drained(in.get() != 0, in.getLong());
                case REOPEN_LOGS -> new ReopenLogs();
                case LISTENERS -> {
                    List<Message.Kind> kinds = new ArrayList<>();
                    List<Family> families = getFamilies(in, kinds);
                    yield new Listeners(families, kinds, takeFds(families.size()));
                }
                case DATAGRAM_STATS -> new Message.DatagramStats(in.getLong(), in.getLong(), in.getLong(),
                        in.getLong(), in.getLong());
                default -> throw new ProtocolException("unknown frame type " + type);
            };
        }

        /** Reads the connections of a handoff or refusal: their families into {@code families}, their peers returned. */
        private static List<byte[]> getConnections(ByteBuffer in, List<Family> families) throws ProtocolException {
            int n = in.getShort();
            if (n < 0 || n > 253) throw new ProtocolException("bad fd count " + n);
            Family[] all = Family.values();
            List<byte[]> peers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int ordinal = in.get();
                if (ordinal < 0 || ordinal >= all.length) throw new ProtocolException("bad family " + ordinal);
                families.add(all[ordinal]);
                int length = in.get();
                if (length < 0 || length > Message.MAX_PEER) throw new ProtocolException("bad peer length " + length);
                byte[] peer = new byte[length];
                in.get(peer);
                peers.add(peer);
            }
            return peers;
        }

        private static List<Family> getFamilies(ByteBuffer in, List<Message.Kind> kinds) throws ProtocolException {
            int n = in.getShort();
            if (n < 0 || n > 253) throw new ProtocolException("bad fd count " + n);
            Family[] all = Family.values();
            List<Family> families = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int b = in.get();
                kinds.add((b & DATAGRAM_BIT) != 0 ? Message.Kind.DATAGRAM : Message.Kind.STREAM);
                int ordinal = b & ~DATAGRAM_BIT;
                if (ordinal < 0 || ordinal >= all.length) throw new ProtocolException("bad family " + ordinal);
                families.add(all[ordinal]);
            }
            return families;
        }

        private List<Fd> takeFds(int n) throws ProtocolException {
            // The kernel delivers a frame's fds no later than the frame's first byte, so a complete frame has them.
            if (fds.size() < n) throw new ProtocolException("frame announces " + n + " fds, " + fds.size() + " arrived");
            List<Fd> taken = new ArrayList<>(fds.subList(0, n));
            fds.subList(0, n).clear();
            return taken;
        }

        /** Fds received but not claimed by any complete frame. */
        public int strayFds() { return fds.size(); }

        /** Closes every fd still held: the link is gone. */
        public void closeAll() {
            for (Fd fd : fds) fd.close();
            fds.clear();
        }
    }

    /** The peer sent something that is not a valid frame; the link cannot be trusted any more. */
    public static final class ProtocolException extends java.io.IOException {
        public ProtocolException(String message) { super(message); }
    }
}

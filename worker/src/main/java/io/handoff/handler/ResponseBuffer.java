package io.handoff.handler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Responses waiting to be written. Pipelined responses pile up here and leave in one write, which is where most of
 * the speed of a small-response server comes from: one syscall (and usually one TCP segment) for many requests.
 */
final class ResponseBuffer {
    private byte[] buf;
    private ByteBuffer view;
    private int size;
    /** Where the held bytes begin (see {@link #hold}), or -1 when nothing is held. */
    private int held = -1;

    ResponseBuffer(int initialCapacity) {
        this(new byte[initialCapacity]);
    }

    /** Starts with {@code initial} as its storage (from a {@link BufferPool}); {@link #array()} gives it back. */
    ResponseBuffer(byte[] initial) {
        buf = initial;
        view = ByteBuffer.wrap(buf);
    }

    /** The storage now in use: the initial array, or a bigger one if a response outgrew it. */
    byte[] array() { return buf; }

    int size() { return size; }

    /** Drops everything after {@code mark}, to take back a response that cannot be finished. */
    void truncate(int mark) { size = mark; }

    /**
     * Holds back what is put from now on: flushes write only what came before, until {@link #release} lets it go or
     * {@link #dropHeld} takes it back. A response waits like this while its request's body is still arriving, since
     * the body may yet turn out malformed, too large or too slow, and then this answer must not be the one sent.
     */
    void hold() { held = size; }

    void release() { held = -1; }

    void dropHeld() {
        if (held >= 0) size = held;
        held = -1;
    }

    /** Bytes that may be written now: everything but what is held. */
    private int writable() { return held >= 0 ? held : size; }

    void put(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, size, bytes.length);
        size += bytes.length;
    }

    void putDecimal(long value) {
        ensure(20);
        if (value == 0) {
            buf[size++] = '0';
            return;
        }
        int digits = 0;
        for (long v = value; v > 0; v /= 10) digits++;
        int i = size + digits;
        for (long v = value; v > 0; v /= 10) buf[--i] = (byte) ('0' + v % 10);
        size += digits;
    }

    /** Appends exactly {@code length} bytes of the file from its start; false if the file ended sooner. */
    boolean putFile(FileChannel file, int length) throws IOException {
        ensure(length);
        ByteBuffer target = ByteBuffer.wrap(buf, size, length);
        long position = 0;
        while (target.hasRemaining()) {
            int n = file.read(target, position);
            if (n < 0) return false;
            position += n;
        }
        size += length;
        return true;
    }

    /**
     * The bytes that may be written (all but any held back), as a buffer to write from (valid until the next put);
     * {@link #clear} once they are taken.
     */
    ByteBuffer contents() { return view.clear().limit(writable()); }

    /** Forgets the bytes {@link #contents} gave out; held bytes stay. */
    void clear() {
        int n = writable();
        if (n < size) System.arraycopy(buf, n, buf, 0, size - n);
        size -= n;
        if (held >= 0) held = 0;
    }

    /** Writes everything buffered but what is held, however many writes the kernel needs. */
    void flush(Connection connection) throws IOException {
        if (writable() == 0) return;
        connection.writeFully(contents());
        clear();
    }

    private void ensure(int more) {
        if (buf.length - size >= more) return;
        byte[] bigger = new byte[Math.max(buf.length * 2, size + more)];
        System.arraycopy(buf, 0, bigger, 0, size);
        buf = bigger;
        view = ByteBuffer.wrap(buf);
    }
}

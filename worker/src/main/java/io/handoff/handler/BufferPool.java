package io.handoff.handler;

/**
 * A few spare byte arrays of one size, shared by the connections of one handler. A connection that lives for one
 * request would otherwise allocate (and the JVM zero) its buffers afresh, and at tens of thousands of connections a
 * second that is most of what the young generation collects. Bounded: what does not fit is left to the collector,
 * and so is any array that grew past the pool's size.
 */
final class BufferPool {
    private final int size;
    private final byte[][] spare;
    private int count;

    BufferPool(int size, int capacity) {
        this.size = size;
        this.spare = new byte[capacity][];
    }

    /** An array of the pool's size. Its contents are whatever the last user left: read only what you write. */
    byte[] take() {
        synchronized (this) {
            if (count > 0) {
                byte[] b = spare[--count];
                spare[count] = null;
                return b;
            }
        }
        return new byte[size];
    }

    /** Gives an array back; the caller must not touch it afterwards. */
    void give(byte[] b) {
        if (b.length != size) return;
        synchronized (this) {
            if (count < spare.length) spare[count++] = b;
        }
    }
}

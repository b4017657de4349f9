package io.handoff.unix;

import java.io.Closeable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An owned file descriptor. {@link #close()} is idempotent, so every error path may close without asking who
 * closed first; {@link #release()} gives up ownership without closing (the fd went to another owner).
 */
public final class Fd implements Closeable {
    private final int value;
    private final AtomicBoolean owned = new AtomicBoolean(true);

    Fd(int value) {
        if (value < 0) throw new IllegalArgumentException("negative fd " + value);
        this.value = value;
    }

    int value() { return value; }

    public boolean isOpen() { return owned.get(); }

    @Override
    public void close() {
        if (owned.compareAndSet(true, false)) Native.closeQuietly(value);
    }

    /** Gives the fd away: this object no longer closes it. Returns the raw number for the new owner. */
    int release() {
        if (!owned.compareAndSet(true, false)) throw new IllegalStateException("fd " + value + " already released");
        return value;
    }

    @Override
    public String toString() { return "fd=" + value + (owned.get() ? "" : "(closed)"); }
}

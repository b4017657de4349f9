package io.handoff.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;

/**
 * Makes the JDK set up what virtual threads need to block on sockets (its I/O pollers: an epoll instance and a wakeup
 * fd per poller) now, at start, rather than lazily on the first blocking read. Set up lazily, it can coincide with the
 * process being out of fds; the poller class then fails to initialise, and because a class that failed to
 * initialise stays failed, every later blocking read on a virtual thread fails with NoClassDefFoundError for the
 * rest of the process's life, long after the fds came back.
 */
public final class VirtualThreadIo {
    private VirtualThreadIo() {}

    /**
     * Initialises the JDK's poller class and parks one virtual thread on a pipe read until a byte arrives, which
     * proves blocking I/O on virtual threads works. Cheap after the first call.
     */
    public static void initialize() throws IOException {
        try {
            Class.forName("sun.nio.ch.Poller", true, null);
        } catch (ClassNotFoundException e) {
            // Another JDK layout: the park below initialises whatever it uses.
        } catch (LinkageError e) {
            throw new IOException("virtual-thread I/O cannot start: " + e, e);
        }
        Pipe pipe = Pipe.open();
        try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            Throwable[] failed = new Throwable[1];
            Thread reader = Thread.ofVirtual().name("poller-init").start(() -> {
                try {
                    source.read(ByteBuffer.allocate(1));
                } catch (IOException | LinkageError e) {
                    failed[0] = e;
                }
            });
            // Written once the reader is parked: a read that finds the byte already there parks nothing.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (reader.getState() != Thread.State.WAITING && reader.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            sink.write(ByteBuffer.wrap(new byte[] {1}));
            if (!reader.join(Duration.ofSeconds(10))) throw new IOException("virtual-thread I/O did not start");
            if (failed[0] != null) throw new IOException("virtual-thread I/O cannot start: " + failed[0], failed[0]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting virtual-thread I/O", e);
        }
    }
}

package io.handoff.app.jetty;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;

/**
 * A Jetty connector fed with connections someone else accepted: the supervisor's handoff in a worker, or the accept
 * loop of an in-process model. The shape of Jetty's own {@code UnixDomainServerConnector}: no acceptor threads and
 * no bind; each connected channel goes to {@link SelectorManager#accept(SelectableChannel)}, Jetty's public seam for
 * exactly this, and from there on Jetty owns it.
 */
final class HandoffConnector extends AbstractConnector {
    private final SelectorManager selectors;
    /** Counted from {@link #take} (not from when a selector gets to it), so load reports see a connection at once. */
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder served = new LongAdder();

    HandoffConnector(Server server, int selectorCount, ConnectionFactory... factories) {
        super(server, null, null, null, 0, factories);
        this.selectors = new Selectors(getExecutor(), getScheduler(), selectorCount);
        addBean(selectors, true);
    }

    /** Takes a connected channel (blocking or not); Jetty closes it. */
    void take(SocketChannel channel) {
        open.incrementAndGet();
        try {
            channel.configureBlocking(false);
            selectors.accept(channel);
        } catch (IOException | RuntimeException e) {
            open.decrementAndGet();
            served.increment();
            try {
                channel.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    int open() { return open.get(); }

    long served() { return served.sum(); }

    @Override
    protected void accept(int acceptorID) {
        throw new UnsupportedOperationException("this connector has no acceptors: connections are handed to it");
    }

    @Override
    public Object getTransport() { return null; }

    private final class Selectors extends SelectorManager {
        Selectors(java.util.concurrent.Executor executor, org.eclipse.jetty.util.thread.Scheduler scheduler,
                int count) {
            super(executor, scheduler, count);
        }

        @Override
        protected EndPoint newEndPoint(SelectableChannel channel, ManagedSelector selector, SelectionKey key) {
            SocketChannelEndPoint endPoint = new SocketChannelEndPoint((SocketChannel) channel, selector, key,
                    getScheduler());
            endPoint.setIdleTimeout(getIdleTimeout());
            return endPoint;
        }

        @Override
        public Connection newConnection(SelectableChannel channel, EndPoint endPoint, Object attachment) {
            return getDefaultConnectionFactory().newConnection(HandoffConnector.this, endPoint);
        }

        @Override
        protected void endPointOpened(EndPoint endPoint) {
            super.endPointOpened(endPoint);
            onEndPointOpened(endPoint);
        }

        @Override
        protected void endPointClosed(EndPoint endPoint) {
            onEndPointClosed(endPoint);
            super.endPointClosed(endPoint);
            open.decrementAndGet();
            served.increment();
        }

        @Override
        protected void onAcceptFailed(SelectableChannel channel, Throwable cause) {
            super.onAcceptFailed(channel, cause);
            open.decrementAndGet(); // no end point was made, so none closes
            served.increment();
        }
    }
}

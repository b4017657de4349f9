package io.handoff.app.netty;

import java.net.URLClassLoader;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.app.AppSettings;
import io.handoff.app.AppSpec;
import io.handoff.app.Apps;
import io.handoff.engine.Engine;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * The user's {@link ChannelInitializer} on Netty event loops: each connection handed over (or accepted in-process)
 * becomes a {@link NioSocketChannel} around the adopted JDK channel, registered on one of the loops with the user's
 * pipeline behind two handlers of ours: {@code --idle-timeout} (an {@link IdleStateHandler} that closes) and the
 * drain bookkeeping ({@link Activity}).
 *
 * <p>Loops: one per fork worker (a worker per core); the number of processors in-process ({@code --threads} does not
 * apply: Netty code runs on its loops). Protocol limits (header and body sizes) belong to the user's codecs, e.g.
 * {@code HttpServerCodec}'s and {@code HttpObjectAggregator}'s arguments.
 */
final class NettyEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(NettyEngine.class);
    /** A channel whose last event was a write and that has been quiet this long is between requests. */
    static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final EventLoopGroup loops;
    private final ChannelHandler initializer;
    private final ChannelGroup channels = new DefaultChannelGroup("handoff", GlobalEventExecutor.INSTANCE);
    private final long idleMillis;
    private final String name;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder served = new LongAdder();

    private NettyEngine(EventLoopGroup loops, ChannelHandler initializer, long idleMillis, String name) {
        this.loops = loops;
        this.initializer = initializer;
        this.idleMillis = idleMillis;
        this.name = name;
    }

    static NettyEngine start(AppSpec spec, AppSettings settings) throws Exception {
        URLClassLoader loader = Apps.userLoader(spec.classpath(), NettyEngine.class.getClassLoader());
        Class<?> cls = Class.forName(spec.className(), true, loader);
        ChannelHandler initializer = (ChannelHandler) cls.getConstructor().newInstance();
        if (!((io.netty.channel.ChannelHandlerAdapter) initializer).isSharable()) {
            throw new IllegalArgumentException(spec.className() + " is not @Sharable: one initializer serves every "
                    + "connection");
        }
        int n = settings.model().equals("fork") ? 1 : Runtime.getRuntime().availableProcessors();
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(n, NioIoHandler.newFactory());
        log.info("netty started app=\"{}\" model={} event_loops={}", Apps.describe(spec), settings.model(), n);
        return new NettyEngine(loops, initializer, settings.timeouts().idle().toMillis(), settings.model());
    }

    @Override
    public void serve(SocketChannel channel) {
        open.incrementAndGet();
        Channel ch;
        try {
            ch = new NioSocketChannel(channel); // makes it non-blocking; Netty owns and closes it from here
        } catch (RuntimeException e) {
            finished();
            try {
                channel.close();
            } catch (java.io.IOException ignored) {
                // already gone
            }
            return;
        }
        ch.closeFuture().addListener(f -> finished());
        if (idleMillis > 0) {
            ch.pipeline().addLast("handoff-idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
            ch.pipeline().addLast("handoff-idle-close", new IdleClose());
        }
        ch.pipeline().addLast("handoff-activity", new Activity());
        ch.pipeline().addLast(initializer);
        channels.add(ch);
        loops.next().register(ch).addListener(f -> {
            if (!f.isSuccess()) ch.close();
        });
    }

    private void finished() {
        open.decrementAndGet();
        served.increment();
    }

    @Override
    public void handler(io.handoff.handler.Handler handler) {
        throw new UnsupportedOperationException("a Netty application is replaced by replacing its workers");
    }

    @Override
    public void startDraining() {}

    @Override
    public int open() { return open.get(); }

    @Override
    public long served() { return served.sum(); }

    /**
     * Closes each channel once it is between requests (its last event a write, then quiet for a moment); channels
     * still reading or answering get until {@code grace}, then everything closes.
     */
    @Override
    public boolean shutdown(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        while (!channels.isEmpty() && System.nanoTime() < deadline) {
            long now = System.nanoTime();
            for (Channel ch : channels) {
                Activity a = ch.pipeline().get(Activity.class);
                if (a == null || a.idleSince(now)) ch.close();
            }
            Thread.sleep(20);
        }
        boolean graceful = channels.isEmpty();
        channels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(2, TimeUnit.SECONDS);
        return graceful;
    }

    @Override
    public String name() { return name; }
}

package io.handoff.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Netty applications built at test time against the apps directory's Netty, as a user's build would (provided). */
final class NettyApps {
    static final String ECHO = "example.netty.EchoInitializer";
    static final String HTTP = "example.netty.HttpInitializer";

    private static final String ECHO_SOURCE = """
            package example.netty;

            import io.netty.channel.*;
            import io.netty.channel.socket.SocketChannel;

            public class EchoInitializer extends ChannelInitializer<SocketChannel> {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override public void channelRead(ChannelHandlerContext ctx, Object msg) { ctx.write(msg); }
                        @Override public void channelReadComplete(ChannelHandlerContext ctx) { ctx.flush(); }
                    });
                }
            }
            """;

    /** GET answers "netty pid=P remote=ADDR:PORT"; POST answers with the body's length; keep-alive as asked. */
    private static final String HTTP_SOURCE = """
            package example.netty;

            import io.netty.buffer.Unpooled;
            import io.netty.channel.*;
            import io.netty.channel.socket.SocketChannel;
            import io.netty.handler.codec.http.*;
            import java.net.InetSocketAddress;
            import java.nio.charset.StandardCharsets;

            public class HttpInitializer extends ChannelInitializer<SocketChannel> {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                            new SimpleChannelInboundHandler<FullHttpRequest>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
                            String text = req.method() == HttpMethod.POST
                                    ? "length=" + req.content().readableBytes()
                                    : "netty pid=" + ProcessHandle.current().pid() + " remote="
                                            + remote.getAddress().getHostAddress() + ":" + remote.getPort();
                            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.OK, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
                            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
                            boolean keepAlive = HttpUtil.isKeepAlive(req);
                            if (!keepAlive) resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                            ChannelFuture f = ctx.writeAndFlush(resp);
                            if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
                        }
                    });
                }
            }
            """;

    private NettyApps() {}

    /** One jar with both initializers. */
    static Path jar(Path dir) throws IOException {
        Path classes = AppJars.compile(dir, "netty-apps", Map.of(ECHO, ECHO_SOURCE, HTTP, HTTP_SOURCE), List.of());
        return AppJars.jar(classes, dir.resolve("netty-apps.jar"));
    }
}

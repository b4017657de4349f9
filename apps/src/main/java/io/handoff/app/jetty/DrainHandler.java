package io.handoff.app.jetty;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * How a Jetty app drains under handoff: a request that arrives on an open keep-alive connection while the process
 * drains is still served, and its answer says {@code Connection: close}, so the client's next request goes to a new
 * connection (a new worker). Jetty's own {@code GracefulHandler} answers those with 503 instead, which a deploy
 * under load must not do.
 */
final class DrainHandler extends Handler.Wrapper {
    private volatile boolean draining;

    DrainHandler(Handler app) { super(app); }

    void startDraining() { draining = true; }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (draining) response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        return super.handle(request, response, callback);
    }
}

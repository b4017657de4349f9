package io.handoff.app.jetty;

import java.util.concurrent.atomic.AtomicInteger;

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
 *
 * <p>Jetty's connector shutdown closes a connection after its current answer. One whose answer began before the
 * drain does not say so, and its client would write the next request into a closed socket: so the connectors are
 * shut down only once those answers are done ({@link #awaitAnswersBegunBeforeDrain}).
 */
final class DrainHandler extends Handler.Wrapper {
    private volatile boolean draining;
    /** Requests in progress that did not see {@link #draining}; counted before the flag is read (see handle). */
    private final AtomicInteger undrained = new AtomicInteger();

    DrainHandler(Handler app) { super(app); }

    void startDraining() { draining = true; }

    /** After {@link #startDraining}: waits until every answer begun before it is done, or the deadline passes. */
    boolean awaitAnswersBegunBeforeDrain(long deadlineNanos) throws InterruptedException {
        while (undrained.get() > 0 && System.nanoTime() < deadlineNanos) Thread.sleep(5);
        return undrained.get() == 0;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        // Counted first, flag read second: a drain that sets the flag and then sees zero has every request after
        // it reading the flag as set.
        undrained.incrementAndGet();
        if (draining) {
            undrained.decrementAndGet();
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            return super.handle(request, response, callback);
        }
        boolean handled = false;
        try {
            handled = super.handle(request, response, Callback.from(callback, undrained::decrementAndGet));
            return handled;
        } finally {
            if (!handled) undrained.decrementAndGet();
        }
    }
}

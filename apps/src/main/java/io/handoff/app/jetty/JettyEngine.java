package io.handoff.app.jetty;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.Executors;

import org.eclipse.jetty.ee10.annotations.AnnotationConfiguration;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SizeLimitHandler;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.handoff.app.AppSettings;
import io.handoff.app.AppSpec;
import io.handoff.app.Apps;
import io.handoff.engine.Engine;

/**
 * One embedded Jetty server per process, serving a servlet or a WAR, fed by a {@link HandoffConnector}. The model
 * decides only where requests run: {@code threads} on a {@link QueuedThreadPool} of {@code --threads}, {@code fork}
 * and {@code virtual} on virtual threads (Jetty's own selector and scheduler threads stay platform threads).
 *
 * <p>handoff's limits, mapped onto Jetty's: {@code --idle-timeout} is the connector's idle timeout,
 * {@code --max-header-bytes} the request header size (431 beyond), {@code --max-body-bytes} a
 * {@link SizeLimitHandler} (413). {@code --read-timeout} has no Jetty equivalent (its idle timeout applies while a
 * request is read).
 */
final class JettyEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(JettyEngine.class);

    private final Server server;
    private final HandoffConnector connector;
    private final DrainHandler drain;
    private final String name;

    private JettyEngine(Server server, HandoffConnector connector, DrainHandler drain, String name) {
        this.server = server;
        this.connector = connector;
        this.drain = drain;
        this.name = name;
    }

    static JettyEngine start(AppSpec spec, AppSettings settings) throws Exception {
        QueuedThreadPool pool;
        if (settings.model().equals("threads")) {
            // Jetty takes a few of these for its selector and housekeeping; the rest run requests.
            pool = new QueuedThreadPool(settings.threads(), Math.min(8, settings.threads()));
        } else {
            pool = new QueuedThreadPool();
            pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        }
        pool.setName("jetty");
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(settings.limits().maxHeaderBytes());
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        // In a fork worker one selector is enough (a worker per core); in-process Jetty picks its default.
        int selectors = settings.model().equals("fork") ? 1 : -1;
        HandoffConnector connector = new HandoffConnector(server, selectors, new HttpConnectionFactory(http));
        long idle = settings.timeouts().idle().toMillis();
        connector.setIdleTimeout(idle == 0 ? -1 : idle);
        server.addConnector(connector);

        Handler app = switch (spec.kind()) {
            case SERVLET -> servlet(spec);
            case WAR -> war(spec);
            case NETTY -> throw new IllegalArgumentException("not a Jetty application: " + spec);
        };
        long maxBody = settings.limits().maxBodyBytes();
        if (maxBody > 0) {
            SizeLimitHandler limit = new SizeLimitHandler(maxBody, -1);
            limit.setHandler(app);
            app = limit;
        }
        DrainHandler drain = new DrainHandler(app);
        server.setHandler(drain);
        server.start();
        failIfUnavailable(server);
        String name = settings.model();
        log.info("jetty started app=\"{}\" model={} threads={}", Apps.describe(spec), name,
                settings.model().equals("threads") ? settings.threads() : "virtual");
        return new JettyEngine(server, connector, drain, name);
    }

    private static Handler servlet(AppSpec spec) throws Exception {
        URLClassLoader loader = Apps.userLoader(spec.classpath(), JettyEngine.class.getClassLoader());
        Class<?> cls = Class.forName(spec.className(), true, loader);
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.SESSIONS);
        context.setContextPath(spec.contextPath());
        context.setClassLoader(loader);
        @SuppressWarnings("unchecked")
        ServletHolder holder = new ServletHolder(cls.getSimpleName(),
                (Class<? extends jakarta.servlet.Servlet>) cls);
        // Initialised as Jetty starts: a worker reports ready only once the servlet's init() has run.
        holder.setInitOrder(1);
        holder.setAsyncSupported(true);
        // "/*": every path reaches it, the path in getPathInfo() (as a servlet mounted at a prefix expects).
        context.addServlet(holder, "/*");
        return context;
    }

    private static Handler war(AppSpec spec) throws Exception {
        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath(spec.contextPath());
        webapp.setWar(spec.classpath().toAbsolutePath().toString());
        webapp.setParentLoaderPriority(false);
        // Each process unpacks into a temporary directory of Jetty's own, removed when Jetty stops (a drain).
        webapp.addConfiguration(new AnnotationConfiguration());
        // A servlet whose init fails (or a broken web.xml) fails the start, not the first request.
        webapp.setThrowUnavailableOnStartupException(true);
        return webapp;
    }

    /** A servlet context that failed to start leaves Jetty running with nothing to serve: a boot error instead. */
    private static void failIfUnavailable(Server server) throws Exception {
        for (ServletContextHandler context : server.getDescendants(ServletContextHandler.class)) {
            if (!context.isAvailable()) {
                server.stop();
                throw new IllegalStateException("the application at " + context.getContextPath()
                        + " did not start (see the log above)");
            }
            for (ServletHolder h : context.getServletHandler().getServlets()) {
                if (!h.isAvailable()) {
                    server.stop();
                    throw new IllegalStateException("servlet " + h.getName() + " did not initialise: "
                            + h.getUnavailableException());
                }
            }
        }
    }

    @Override
    public void serve(SocketChannel channel) { connector.take(channel); }

    @Override
    public void handler(io.handoff.handler.Handler handler) {
        throw new UnsupportedOperationException("a Jetty application is replaced by replacing its workers");
    }

    @Override
    public void startDraining() { drain.startDraining(); }

    @Override
    public int open() { return connector.open(); }

    @Override
    public long served() { return connector.served(); }

    /**
     * Drains: every answer from now on closes its connection ({@link DrainHandler}), and Jetty's graceful shutdown
     * closes the idle ones (its connectors' shutdown idle timeout, a second); once every connection is gone, or after
     * {@code grace}, Jetty stops and closes what is left.
     */
    @Override
    public boolean shutdown(Duration grace) throws InterruptedException {
        drain.startDraining();
        long deadline = System.nanoTime() + grace.toNanos();
        drain.awaitAnswersBegunBeforeDrain(deadline);
        Graceful.shutdown(server); // its future is not waited on: the open count below is what matters
        while (open() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        boolean graceful = open() == 0;
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("jetty stop failed: {}", e.toString());
        }
        return graceful;
    }

    @Override
    public String name() { return name; }
}

package io.handoff.app;

import java.nio.file.Path;

/**
 * An application handoff runs unchanged: what it is, the class to start (none for a WAR), the jar, directory or WAR
 * it comes from, and the context path it is served under.
 */
public record AppSpec(Kind kind, String className, Path classpath, String contextPath) {

    public enum Kind {
        /** A {@code jakarta.servlet.Servlet} class, served at {@code /} on embedded Jetty. */
        SERVLET("io.handoff.app.jetty.JettyApps", "servlet"),
        /** A web application archive (or its unpacked directory) on embedded Jetty. */
        WAR("io.handoff.app.jetty.JettyApps", "war"),
        /** A {@code io.netty.channel.ChannelInitializer} class: each connection gets the user's pipeline. */
        NETTY("io.handoff.app.netty.NettyApps", "netty");

        /** The adapter that makes its engine, in the apps class loader. */
        final String factory;
        private final String label;

        Kind(String factory, String label) {
            this.factory = factory;
            this.label = label;
        }

        /** How logs and {@code ctl status} name it. */
        public String label() { return label; }
    }
}

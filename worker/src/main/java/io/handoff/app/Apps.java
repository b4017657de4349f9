package io.handoff.app;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import io.handoff.engine.Engine;
import io.handoff.handler.Handler;
import io.handoff.handler.Handlers;
import io.handoff.handler.Handlers.HandlerLoadException;

/**
 * Recognises applications (a servlet, a WAR, a Netty {@code ChannelInitializer}) and makes their engines. The
 * frameworks live in their own directory (the {@value #APPS_PROPERTY} property; the launcher sets it), opened by a
 * class loader of their own only when the handler is an application: a process serving a built-in or a
 * {@link Handler} starts exactly as it would without them.
 */
public final class Apps {
    /** The directory of the apps jar and the framework jars. */
    public static final String APPS_PROPERTY = "handoff.apps";
    /** How {@code handoff serve --war} names its handler: this prefix and the context path. */
    public static final String WAR_PREFIX = "war:";
    private static final String SERVLET = "jakarta.servlet.Servlet";
    private static final String NETTY = "io.netty.channel.ChannelInitializer";

    private Apps() {}

    /** The handler name for {@code --war} with {@code contextPath}. */
    public static String warHandler(String contextPath) { return WAR_PREFIX + contextPath; }

    /**
     * The application {@code handler} names, or empty when it is a built-in or a {@link Handler} (or no class at all:
     * {@link Handlers} says so then). Loads the class without initialising it, so no user code runs; a class that
     * needs a framework to load is tried again with the frameworks' loader.
     */
    public static Optional<AppSpec> detect(String handler, Path classpath) throws HandlerLoadException {
        if (handler.startsWith(WAR_PREFIX)) {
            if (classpath == null || !Files.exists(classpath)) {
                throw new HandlerLoadException("--war " + classpath + " does not exist");
            }
            return Optional.of(new AppSpec(AppSpec.Kind.WAR, null, classpath, handler.substring(WAR_PREFIX.length())));
        }
        if (Handlers.BUILT_IN.contains(handler) || classpath == null || !Files.exists(classpath)) {
            return Optional.empty();
        }
        // A Handler needs nothing but our own classpath: tried that way first, its loading is what it always was.
        try (URLClassLoader plain = userLoader(classpath, Apps.class.getClassLoader())) {
            Class.forName(handler, false, plain);
            return Optional.empty();
        } catch (ClassNotFoundException | IOException e) {
            return Optional.empty();
        } catch (LinkageError e) {
            // a superclass or interface missing: perhaps a framework's
        }
        try (URLClassLoader frameworks = frameworkLoader();
                URLClassLoader withFrameworks = userLoader(classpath, frameworks)) {
            Class<?> cls;
            try {
                cls = Class.forName(handler, false, withFrameworks);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new HandlerLoadException("--handler " + handler + ": cannot be loaded, even with Jetty and "
                        + "Netty on its classpath: " + e);
            }
            AppSpec.Kind kind = isA(cls, frameworks, SERVLET) ? AppSpec.Kind.SERVLET
                    : isA(cls, frameworks, NETTY) ? AppSpec.Kind.NETTY : null;
            if (kind == null) {
                throw new HandlerLoadException("--handler " + handler + " is neither a " + Handler.class.getName()
                        + ", a " + SERVLET + " nor a " + NETTY);
            }
            if (!Modifier.isPublic(cls.getModifiers()) || Modifier.isAbstract(cls.getModifiers())) {
                throw new HandlerLoadException("--handler " + handler + " must be a public, concrete class");
            }
            try {
                cls.getConstructor();
            } catch (NoSuchMethodException e) {
                throw new HandlerLoadException("--handler " + handler + " needs a public no-argument constructor");
            }
            return Optional.of(new AppSpec(kind, handler, classpath, "/"));
        } catch (IOException e) {
            return Optional.empty(); // closing a loader failed: nothing held that matters
        }
    }

    /**
     * Starts the application and returns its engine, ready to serve. Jetty or Netty are loaded here, in a class loader
     * over the apps directory; the user's classes in a child of it.
     */
    public static Engine engine(AppSpec spec, AppSettings settings) throws HandlerLoadException {
        URLClassLoader frameworks = frameworkLoader();
        // Frameworks find their parts with ServiceLoader through the context class loader (Jetty its web-app
        // configurations: web.xml, annotations): it must see them while the app starts, and in threads started then.
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(frameworks);
        try {
            Class<?> factory = Class.forName(spec.kind().factory, true, frameworks);
            AppEngineFactory f = (AppEngineFactory) factory.getConstructor().newInstance();
            return f.create(spec, settings);
        } catch (InvocationTargetException e) {
            throw new HandlerLoadException(describe(spec) + " failed to start: " + e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new HandlerLoadException("the " + spec.kind().label() + " adapter cannot be loaded from "
                    + System.getProperty(APPS_PROPERTY) + ": " + e);
        } catch (HandlerLoadException e) {
            throw e;
        } catch (Exception e) {
            Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
            throw new HandlerLoadException(describe(spec) + " failed to start: " + cause);
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /** As logs and errors name it: "servlet example.Hello", "war app.war at /shop". */
    public static String describe(AppSpec spec) {
        return switch (spec.kind()) {
            case WAR -> "war " + spec.classpath() + " at " + spec.contextPath();
            default -> spec.kind().label() + " " + spec.className();
        };
    }

    /** The user's jar or directory, over {@code parent}. */
    public static URLClassLoader userLoader(Path classpath, ClassLoader parent) throws HandlerLoadException {
        try {
            return new URLClassLoader("app", new URL[] {classpath.toUri().toURL()}, parent);
        } catch (MalformedURLException e) {
            throw new HandlerLoadException("--handler-classpath " + classpath + ": " + e.getMessage());
        }
    }

    private static URLClassLoader frameworkLoader() throws HandlerLoadException {
        String dir = System.getProperty(APPS_PROPERTY);
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            throw new HandlerLoadException("servlet and Netty apps need the handoff apps libraries: start handoff "
                    + "with scripts/handoff (or -D" + APPS_PROPERTY + "=DIR, the directory of handoff-apps.jar)");
        }
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Files.list(Path.of(dir))) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
        } catch (IOException e) {
            throw new HandlerLoadException("-D" + APPS_PROPERTY + "=" + dir + ": " + e.getMessage());
        }
        return new URLClassLoader("frameworks", urls.toArray(URL[]::new), Apps.class.getClassLoader());
    }

    private static boolean isA(Class<?> cls, ClassLoader frameworks, String typeName) {
        try {
            return Class.forName(typeName, false, frameworks).isAssignableFrom(cls);
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}

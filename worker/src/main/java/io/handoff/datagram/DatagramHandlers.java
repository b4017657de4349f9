package io.handoff.datagram;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import io.handoff.handler.Handler;
import io.handoff.handler.Handlers;
import io.handoff.handler.Handlers.HandlerLoadException;

/**
 * Makes the datagram handler a process serves with (a built-in by name, or a user class from a jar), and says which
 * kinds of socket a handler serves, so that one bound to the wrong kind is refused at start.
 */
public final class DatagramHandlers {
    /** What a handler serves: connections (a {@code Handler}), datagrams (a {@code DatagramHandler}), or both. */
    public enum Kind { STREAM, DATAGRAM }

    private DatagramHandlers() {}

    /**
     * The kinds {@code name} serves, without running any of its code (a user class is loaded, not initialised).
     * Built-ins: http serves connections only; echo, daytime, time and hello serve both.
     */
    public static Set<Kind> kinds(String name, Path classpath) throws HandlerLoadException {
        if (BuiltInDatagrams.NAMES.contains(name)) return EnumSet.of(Kind.STREAM, Kind.DATAGRAM);
        if (Handlers.BUILT_IN.contains(name)) return EnumSet.of(Kind.STREAM);
        URLClassLoader loader = Handlers.openClasspath(classpath);
        try {
            Class<?> cls = Handlers.userClass(name, classpath, loader, false);
            Set<Kind> kinds = EnumSet.noneOf(Kind.class);
            if (Handler.class.isAssignableFrom(cls)) kinds.add(Kind.STREAM);
            if (DatagramHandler.class.isAssignableFrom(cls)) kinds.add(Kind.DATAGRAM);
            if (kinds.isEmpty()) {
                throw new HandlerLoadException("--handler " + name + " implements neither " + Handler.class.getName()
                        + " nor " + DatagramHandler.class.getName());
            }
            return kinds;
        } finally {
            closeQuietly(loader);
        }
    }

    /**
     * Refuses a handler bound to a kind of socket it does not serve; {@code streamBind} and {@code datagramBind}
     * are the first bind of each kind, or null when there is none. The message is one line fit for the command line.
     */
    public static void checkKinds(String name, Path classpath, String streamBind, String datagramBind)
            throws HandlerLoadException {
        Set<Kind> kinds = kinds(name, classpath);
        if (streamBind != null && !kinds.contains(Kind.STREAM)) {
            throw new HandlerLoadException("--handler " + name + " serves datagrams only, but --bind " + streamBind
                    + " is a stream address; bind it to udp:HOST:PORT or unixgram:PATH");
        }
        if (datagramBind != null && !kinds.contains(Kind.DATAGRAM)) {
            throw new HandlerLoadException("--handler " + name + " serves connections only, but --bind "
                    + datagramBind + " is a datagram address; give it a handler that implements "
                    + DatagramHandler.class.getName() + " (built-in: " + String.join(", ", BuiltInDatagrams.NAMES)
                    + ") or bind it to HOST:PORT or unix:PATH");
        }
    }

    /**
     * The datagram handler for {@code name}. A user class that serves connections too is not made twice: pass the
     * stream handler already made from it ({@code streamForm}, or null), and that same object serves datagrams.
     */
    public static DatagramHandler load(String name, Path classpath, Handler streamForm) throws HandlerLoadException {
        DatagramHandler builtIn = BuiltInDatagrams.of(name);
        if (builtIn != null) return builtIn;
        if (streamForm instanceof DatagramHandler both) return both;
        URLClassLoader loader = Handlers.openClasspath(classpath);
        Class<?> cls = Handlers.userClass(name, classpath, loader, true);
        if (!DatagramHandler.class.isAssignableFrom(cls)) {
            throw new HandlerLoadException("--handler " + name + " does not implement "
                    + DatagramHandler.class.getName());
        }
        try {
            return (DatagramHandler) cls.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new HandlerLoadException("--handler " + name + " needs a public no-argument constructor");
        } catch (InvocationTargetException e) {
            throw new HandlerLoadException("--handler " + name + " failed to construct: " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HandlerLoadException("--handler " + name + ": " + e);
        }
    }

    /** As {@link #load}'s checks, without running the class's code (the fork supervisor never runs user code). */
    public static void check(String name, Path classpath) throws HandlerLoadException {
        if (BuiltInDatagrams.NAMES.contains(name)) return;
        URLClassLoader loader = Handlers.openClasspath(classpath);
        try {
            Class<?> cls = Handlers.userClass(name, classpath, loader, false);
            if (!DatagramHandler.class.isAssignableFrom(cls)) {
                throw new HandlerLoadException("--handler " + name + " does not implement "
                        + DatagramHandler.class.getName());
            }
            cls.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new HandlerLoadException("--handler " + name + " needs a public no-argument constructor");
        } finally {
            closeQuietly(loader);
        }
    }

    private static void closeQuietly(URLClassLoader loader) {
        if (loader == null) return;
        try {
            loader.close();
        } catch (IOException ignored) {
            // nothing held that matters
        }
    }
}

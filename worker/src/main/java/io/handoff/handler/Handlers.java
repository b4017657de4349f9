package io.handoff.handler;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Makes the one handler object a process serves with: a built-in by name, or a user class from a jar. */
public final class Handlers {
    public static final List<String> BUILT_IN = List.of("hello", "echo", "http", "daytime", "time");

    private Handlers() {}

    /**
     * True for a built-in whose clients speak first (http): their connections are worth handing over only once the
     * first bytes are there. Unknown for a user class, so false.
     */
    public static boolean clientSpeaksFirst(String name) { return name.equals("http"); }

    /** As {@link #load(String, Path, Path, HttpLimits)} with the default HTTP limits. */
    public static Handler load(String name, Path classpath, Path root) throws HandlerLoadException {
        return load(name, classpath, root, HttpLimits.DEFAULT);
    }

    /**
     * @param name      a built-in name or a fully qualified class name
     * @param classpath a jar or directory holding the user class, or null
     * @param root      the directory the http handler serves files from, or null
     * @param limits    the sizes the http handler accepts
     * @throws HandlerLoadException with a message fit for the command line
     */
    public static Handler load(String name, Path classpath, Path root, HttpLimits limits) throws HandlerLoadException {
        switch (name) {
            case "hello":
                return new HelloHandler();
            case "echo":
                return new EchoHandler();
            case "daytime":
                return AnswerAndClose.daytime();
            case "time":
                return AnswerAndClose.time();
            case "http":
                if (root != null && !Files.isDirectory(root)) {
                    throw new HandlerLoadException("--root " + root + " is not a directory");
                }
                try {
                    return new HttpHandler(root, limits);
                } catch (IOException e) {
                    throw new HandlerLoadException("--root " + root + ": " + e.getMessage());
                }
            default:
                return loadClass(name, classpath);
        }
    }

    /**
     * Checks what {@link #load} would make, without running any of its code: a built-in's settings, or that the class
     * exists, implements {@link Handler} and has a public no-argument constructor. The class is loaded but not
     * initialised, so no static initialiser runs (the fork supervisor must never run user code).
     */
    public static void check(String name, Path classpath, Path root) throws HandlerLoadException {
        if (BUILT_IN.contains(name)) {
            if (name.equals("http") && root != null && !Files.isDirectory(root)) {
                throw new HandlerLoadException("--root " + root + " is not a directory");
            }
            return;
        }
        ClassLoader loader = loader(classpath);
        try {
            handlerClass(name, classpath, loader, false).getConstructor();
        } catch (NoSuchMethodException e) {
            throw new HandlerLoadException("--handler " + name + " needs a public no-argument constructor");
        } finally {
            if (loader instanceof URLClassLoader u) {
                try {
                    u.close(); // the jar stays unopened in this process
                } catch (IOException ignored) {
                    // nothing held that matters
                }
            }
        }
    }

    private static Handler loadClass(String className, Path classpath) throws HandlerLoadException {
        Class<?> cls = handlerClass(className, classpath, loader(classpath), true);
        try {
            Constructor<?> ctor = cls.getConstructor();
            return (Handler) ctor.newInstance();
        } catch (NoSuchMethodException e) {
            throw new HandlerLoadException("--handler " + className + " needs a public no-argument constructor");
        } catch (InvocationTargetException e) {
            throw new HandlerLoadException("--handler " + className + " failed to construct: " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HandlerLoadException("--handler " + className + ": " + e);
        }
    }

    private static ClassLoader loader(Path classpath) throws HandlerLoadException {
        URLClassLoader l = openClasspath(classpath);
        return l != null ? l : Handlers.class.getClassLoader();
    }

    /**
     * A class loader over a user's {@code --handler-classpath} (a jar or directory), or null when there is none. The
     * caller closes it once it no longer needs the classes.
     */
    public static URLClassLoader openClasspath(Path classpath) throws HandlerLoadException {
        if (classpath == null) return null;
        if (!Files.exists(classpath)) {
            throw new HandlerLoadException("--handler-classpath " + classpath + " does not exist");
        }
        try {
            return new URLClassLoader("handler", new URL[] {classpath.toUri().toURL()},
                    Handlers.class.getClassLoader());
        } catch (MalformedURLException e) {
            throw new HandlerLoadException("--handler-classpath " + classpath + ": " + e.getMessage());
        }
    }

    /**
     * The public user class {@code className} from {@code loader} (null: this module's), initialised (its static
     * code run) only with {@code initialize}; every way it can fail is a one-line message for the command line.
     */
    public static Class<?> userClass(String className, Path classpath, ClassLoader loader, boolean initialize)
            throws HandlerLoadException {
        Class<?> cls;
        try {
            cls = Class.forName(className, initialize, loader != null ? loader : Handlers.class.getClassLoader());
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new HandlerLoadException("--handler " + className + ": not a built-in (" + String.join(", ", BUILT_IN)
                    + ") and no such class" + (classpath == null ? " (give its jar with --handler-classpath)"
                    : " in " + classpath));
        } catch (ExceptionInInitializerError e) {
            throw new HandlerLoadException("--handler " + className + ": its static initialiser failed: "
                    + e.getCause());
        } catch (LinkageError e) {
            throw new HandlerLoadException("--handler " + className + ": cannot be loaded: " + e);
        }
        if (!Modifier.isPublic(cls.getModifiers())) {
            throw new HandlerLoadException("--handler " + className + " needs a public no-argument constructor");
        }
        return cls;
    }

    /** The public class that implements Handler; initialised (its static code run) only with {@code initialize}. */
    private static Class<?> handlerClass(String className, Path classpath, ClassLoader loader, boolean initialize)
            throws HandlerLoadException {
        Class<?> cls = userClass(className, classpath, loader, initialize);
        if (!Handler.class.isAssignableFrom(cls)) {
            throw new HandlerLoadException("--handler " + className + " does not implement " + Handler.class.getName());
        }
        return cls;
    }

    /** The handler cannot be made; the message says what to fix. */
    public static final class HandlerLoadException extends Exception {
        public HandlerLoadException(String message) { super(message); }
    }
}

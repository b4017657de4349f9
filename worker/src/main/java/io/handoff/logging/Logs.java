package io.handoff.logging;

import java.nio.file.Path;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;

/**
 * Log destination control: stderr by default (logback.xml), or a file that can be reopened after logrotate moved
 * it. Supervisor and workers append to the same file (O_APPEND keeps their lines whole).
 */
public final class Logs {
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [PROCESS] %logger{0} - %msg%n";
    private static final String FILE_APPENDER = "FILE";

    private Logs() {}

    /** The process name in every line: "supervisor" or "worker-3". */
    public static String processName() { return System.getProperty("handoff.process", "supervisor"); }

    /**
     * Sends every log line to {@code file} (appending) instead of stderr. Fails with a clear message when the file
     * cannot be opened for writing.
     */
    public static synchronized void toFile(Path file) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN.replace("PROCESS", processName()));
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(ctx);
        appender.setName(FILE_APPENDER);
        appender.setFile(file.toAbsolutePath().toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new IllegalArgumentException("cannot open log file " + file + " for appending");
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
    }

    /** Closes and reopens the log file under its name (logrotate's "create" or "copytruncate"-free rotation). */
    public static synchronized boolean reopen() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        var appender = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(FILE_APPENDER);
        if (!(appender instanceof FileAppender<ILoggingEvent> file)) return false;
        file.stop();
        file.start();
        return file.isStarted();
    }
}

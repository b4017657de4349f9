package io.handoff.logging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;

/**
 * Log destination control: stderr by default (logback.xml), or a file that can be reopened after logrotate moved
 * it. Supervisor and workers append to the same file (O_APPEND keeps their lines whole). A file that stops taking
 * writes does not stop the process or its logging: see {@link LogFileAppender}.
 */
public final class Logs {
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [PROCESS] %logger{0} - %msg%n";
    private static final String FILE_APPENDER = "FILE";

    private Logs() {}

    /** The process name in every line: "supervisor" or "worker-3". */
    public static String processName() { return System.getProperty("handoff.process", "supervisor"); }

    /**
     * Sends every log line to {@code file} (appending) instead of stderr, and writes a first line there.
     *
     * @param mustWrite when true, a file that cannot be opened, or whose first line cannot be written (disk full,
     *                  /dev/full), is an error: an {@link IllegalArgumentException} with a message fit for the command
     *                  line, and logging stays on stderr. When false (a worker, whose supervisor already checked), a
     *                  failed first line only sends lines to stderr until the file takes writes again.
     */
    public static synchronized void toFile(Path file, boolean mustWrite) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot open log file " + file + ": directory " + dir
                    + " does not exist");
        }
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN.replace("PROCESS", processName()));
        encoder.start();
        LogFileAppender appender = new LogFileAppender(file);
        appender.setContext(ctx);
        appender.setName(FILE_APPENDER);
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new IllegalArgumentException("cannot open log file " + file + " for appending");
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (mustWrite) {
            // Written straight to the appender (whatever the log level) before it replaces stderr: a failure leaves
            // logging where it was.
            appender.doAppend(new LoggingEvent(Logs.class.getName(), ctx.getLogger(Logs.class), Level.INFO,
                    "log file opened file={} pid={}", null, new Object[] {file, ProcessHandle.current().pid()}));
            String error = appender.lastError();
            if (error != null) {
                appender.stop();
                throw new IllegalArgumentException("cannot write log file " + file + ": " + error);
            }
        }
        appender.reportFailures();
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
    }

    /**
     * Reopens the log file under its name (after logrotate moved it). Returns false when there is no log file or it
     * cannot be reopened; then logging carries on into the file it had (reported on stderr).
     */
    public static synchronized boolean reopen() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        var appender = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(FILE_APPENDER);
        if (!(appender instanceof LogFileAppender file)) return false;
        try {
            file.reopen();
            file.reportFailures();
            return true;
        } catch (IOException e) {
            System.err.println("handoff[" + processName() + "]: cannot reopen log file " + file.file() + ": "
                    + e.getMessage() + "; still logging to the file it had");
            return false;
        }
    }
}

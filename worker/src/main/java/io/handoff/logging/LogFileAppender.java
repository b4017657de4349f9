package io.handoff.logging;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;

/**
 * Appends log lines to a file, one write(2) per line on an O_APPEND descriptor (so the supervisor's and the workers'
 * lines interleave whole), and never dies of the file: a write that fails (disk full, I/O error) sends that line to
 * stderr instead and says so once, on stderr, until writes succeed again; a reopen that fails keeps the old file.
 * (logback's own FileAppender reports such failures only to its status manager, which nobody reads, and drops the
 * lines: a server whose log silently stopped.)
 */
final class LogFileAppender extends OutputStreamAppender<ILoggingEvent> {
    private final Path file;

    LogFileAppender(Path file) { this.file = file.toAbsolutePath(); }

    Path file() { return file; }

    @Override
    public void start() {
        try {
            setOutputStream(new ReportingStream(file));
        } catch (IOException e) {
            addError("cannot open " + file, e);
            return;
        }
        super.start();
    }

    /** Opens the file afresh under its name (it was rotated away); on failure keeps writing where it did. */
    void reopen() throws IOException {
        setOutputStream(new ReportingStream(file)); // closes the old stream under the appender's lock
    }

    /** The error of the most recent write, or null when it succeeded (or nothing was written yet). */
    String lastError() {
        return getOutputStream() instanceof ReportingStream s ? s.lastError : null;
    }

    /** Starts the once-per-episode reports on stderr; until then a failure is only recorded. */
    void reportFailures() {
        if (getOutputStream() instanceof ReportingStream s) s.report = true;
    }

    /** Called with the appender's stream lock held: one writer at a time. */
    private static final class ReportingStream extends OutputStream {
        private final Path file;
        private final FileOutputStream out;
        private volatile String lastError;
        private volatile boolean report;

        ReportingStream(Path file) throws IOException {
            this.file = file;
            this.out = new FileOutputStream(file.toFile(), true);
        }

        @Override
        public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                out.write(b, off, len);
                if (lastError != null && report) {
                    System.err.println("handoff[" + Logs.processName() + "]: log file " + file
                            + " is writable again; logging there");
                }
                lastError = null;
            } catch (IOException e) {
                if (lastError == null && report) {
                    System.err.println("handoff[" + Logs.processName() + "]: cannot write log file " + file + ": "
                            + e.getMessage() + "; log lines go to stderr until it is writable again");
                }
                lastError = e.getMessage() == null ? e.toString() : e.getMessage();
                if (report) System.err.write(b, off, len);
            }
        }

        @Override
        public void flush() {
            // FileOutputStream does not buffer: every line is already one write(2).
        }

        @Override
        public void close() throws IOException { out.close(); }
    }
}

package io.handoff.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration in code, found through ServiceLoader before any XML: parsing logback.xml cost a worker
 * tens of milliseconds of its start. Lines go to stderr; {@code handoff.log.level} sets the level;
 * {@link Logs#toFile} switches to a file later.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(Logs.PATTERN.replace("PROCESS", Logs.processName()));
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("STDERR");
        console.setTarget("System.err");
        console.setEncoder(encoder);
        console.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("handoff.log.level", "INFO"), Level.INFO));
        root.addAppender(console);
        // Jetty announces every start at INFO (its banner, each context, each connector): in every worker, at every
        // reload, that drowns handoff's own lines. Its warnings stay; -Dhandoff.log.level=DEBUG shows everything.
        if (root.getLevel().isGreaterOrEqual(Level.INFO)) ctx.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}

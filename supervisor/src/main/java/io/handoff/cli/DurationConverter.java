package io.handoff.cli;

import java.time.Duration;

import io.handoff.supervisor.Durations;
import picocli.CommandLine;

/** For {@code @Option(converter = DurationConverter.class)}: picocli names the option in front of the message. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}

package io.handoff.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.handoff.supervisor.Durations;
import io.handoff.control.ControlPaths;
import io.handoff.control.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code handoff ctl}: the control socket's client. One request line out, one JSON document back. */
@Command(name = "ctl", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Talk to a running supervisor over its control socket.",
                "Commands: status, reload, scale N, stop [--graceful-timeout DURATION], reopen-logs, help.",
                "DURATION: " + Durations.SYNTAX + "."})
final class CtlCommand implements Callable<Integer> {
    /** Exit status when the supervisor cannot be reached. */
    static final int EXIT_UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--control", paramLabel = "PATH", description = "The supervisor's control socket. Default: the "
            + "only one in the runtime directory, or the one for --bind.")
    Path control;

    @Option(names = "--bind", paramLabel = "ADDR", description = "Find the control socket of the supervisor whose "
            + "first listener is ADDR (as in its 'listening on' line).")
    String bind;

    @Option(names = "--json", description = "Print the answer as JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "A command and its arguments.")
    List<String> words = new ArrayList<>();

    @Override
    public Integer call() {
        Path path = resolveControl();
        String answerText;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            ByteBuffer out = ByteBuffer.wrap((String.join(" ", words) + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) ch.write(out);
            answerText = new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8)
                    .trim();
        } catch (IOException e) {
            spec.commandLine().getErr().println("handoff ctl: cannot reach " + path + ": " + e.getMessage()
                    + " (is the supervisor running? pass --control PATH)");
            return EXIT_UNREACHABLE;
        }
        Map<String, Object> answer;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> parsed = (Map<String, Object>) Json.parse(answerText);
            answer = parsed;
        } catch (RuntimeException e) {
            spec.commandLine().getErr().println("handoff ctl: unreadable answer: " + answerText);
            return 1;
        }
        boolean ok = Boolean.TRUE.equals(answer.get("ok"));
        if (json) {
            spec.commandLine().getOut().println(answerText);
        } else if (!ok) {
            spec.commandLine().getErr().println("handoff ctl: " + answer.get("error"));
        } else {
            spec.commandLine().getOut().print(Render.human(answer));
            spec.commandLine().getOut().flush();
        }
        return ok ? 0 : 1;
    }

    private Path resolveControl() {
        if (control != null) return control;
        if (bind != null) return ControlPaths.forInstance(bind);
        Path dir = ControlPaths.runtimeDir();
        List<Path> socks = ControlPaths.liveSockets();
        if (socks.size() == 1) return socks.get(0);
        throw new CommandLine.ParameterException(spec.commandLine(), socks.isEmpty()
                ? "no control socket in " + dir + "; is a supervisor running? (or pass --control PATH)"
                : "several supervisors run (" + socks.stream().map(p -> p.getFileName().toString()).toList()
                        + " in " + dir + "); choose one with --control PATH or --bind ADDR");
    }

}

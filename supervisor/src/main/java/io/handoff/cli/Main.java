package io.handoff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code handoff}: the command-line entry point. */
@Command(name = "handoff", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A supervisor for socket servers on the JVM.",
        subcommands = {ServeCommand.class, CtlCommand.class, AotCacheCommand.class, io.handoff.bench.BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for a bad command line or an address that cannot be bound. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        restoreIgnoredSignals();
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::oneLineError);
        return cl.execute(args);
    }

    /**
     * Every command, not only serve: {@code bench} relies on SIGINT running its shutdown hook (which stops the servers
     * it started), and {@code nohup} or a script's {@code cmd &} would have taken that away.
     */
    private static void restoreIgnoredSignals() {
        try {
            io.handoff.unix.Signals.restoreIgnored();
        } catch (RuntimeException | LinkageError e) {
            // No native access here: the signals stay as the environment set them.
        }
    }

    /** One line: what is wrong and where to look; never a usage dump. */
    private static int oneLineError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
        // A daemon's launcher (or systemd) learns why startup failed.
        io.handoff.supervisor.SystemdNotifier.fromEnvironment().status("error: " + e.getMessage());
        return EXIT_USAGE;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'handoff serve'");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"handoff " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
